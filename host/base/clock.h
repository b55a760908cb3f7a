/*
 * clock.h: the one clock for timeouts and durations.
 *
 * CLOCK_MONOTONIC, so a wall-clock step (NTP, an operator) never fires or
 * stretches a deadline; its zero is arbitrary (about boot), so use it
 * only for differences and deadlines, never as a date.  Both functions
 * read the same clock: clock_now_ms() == clock_now_us() / 1000.
 */
#ifndef FNHOST_CLOCK_H
#define FNHOST_CLOCK_H

#include <stdint.h>

int64_t clock_now_ms(void);
int64_t clock_now_us(void);

#endif
