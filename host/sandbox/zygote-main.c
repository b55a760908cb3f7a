/*
 * zygote-main.c: fnhost-zygote, the program fnhostd and fnhost test run as
 * their zygote (see zygote.h).  It is not for people: it takes its
 * configuration from the socket its parent left on ZYGOTE_FD.
 */
#include "sandbox/zygote.h"

int
main(void)
{
	return zygote_serve();
}
