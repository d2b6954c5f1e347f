#include <stdio.h>
#include "value.h"

int main(void)
{
	printf("value=%d\n", value());
	return 0;
}
