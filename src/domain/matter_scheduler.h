/*
 * The deadline scheduler inside `serve` (no cron needed): a thread that runs the matters' colour
 * step (matter_alerts_tick: yellow at the warning share, red when overdue) every interval, as the
 * system, and once more at start-up. Stopping wakes it and joins it before the store closes.
 */
#ifndef WANGGE_DOMAIN_MATTER_SCHEDULER_H
#define WANGGE_DOMAIN_MATTER_SCHEDULER_H

struct store;
struct security_config;

/* Starts the thread. audit_key and security are borrowed for its whole life. 0, or -1. */
int matter_scheduler_start(struct store *s, const unsigned char *audit_key,
                           const struct security_config *security, int interval_seconds);
/* Stops and joins the thread (no-op when it was not started). */
void matter_scheduler_stop(void);

#endif
