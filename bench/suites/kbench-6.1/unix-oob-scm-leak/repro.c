// Reproducer for "memory leak in copy_process".
//
// A byte sent with MSG_OOB on an AF_UNIX stream socket goes through
// queue_oob(), which builds its own skb. When the receiver has SO_PASSCRED,
// maybe_add_creds() stores a reference to the sender's struct pid in the
// skb. The buggy queue_oob() never runs unix_scm_to_skb(), so the skb gets
// no unix_destruct_scm() destructor and freeing it never drops that pid
// reference. The struct pid (allocated by alloc_pid() in copy_process())
// outlives its task: once a forked sender exits and is reaped, nothing
// points to it any more and kmemleak reports it.
#include <stdio.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void)
{
	for (int i = 0; i < 4; i++) {
		int sv[2], one = 1;

		if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0) {
			perror("socketpair");
			return 1;
		}
		setsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &one, sizeof(one));
		pid_t child = fork();
		if (child == 0) {
			if (send(sv[0], "x", 1, MSG_OOB) < 0)
				perror("send(MSG_OOB)");
			_exit(0);
		}
		waitpid(child, NULL, 0);
		close(sv[0]);
		close(sv[1]);
	}
	printf("done\n");
	return 0;
}
