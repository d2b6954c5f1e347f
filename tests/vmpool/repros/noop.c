/* Does nothing: the kernel must not crash. */
int main(void) { return 0; }
