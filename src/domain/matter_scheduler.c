/*
 * The deadline scheduler thread (see matter_scheduler.h).
 */
#include "domain/matter_scheduler.h"

#include <errno.h>
#include <pthread.h>
#include <time.h>

#include "base/log.h"
#include "domain/dom.h"
#include "domain/matter.h"

static struct {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	int running, stopping, interval;
	struct store *store;
	const unsigned char *audit_key;
	const struct security_config *security;
} sched = { .lock = PTHREAD_MUTEX_INITIALIZER };

static void tick_once(void)
{
	struct dom_ctx x;
	struct dom_err e = { 0 };
	int64_t changed = 0;

	dom_ctx_cli(&x, sched.store, sched.audit_key, sched.security);
	x.source = "scheduler";
	if (matter_alerts_tick(&x, &changed, &e) < 0)
		log_warn("matter.tick_failed", "code=%s", e.code ? e.code : "?");
	else if (changed)
		log_info("matter.tick", "changed=%lld", (long long)changed);
}

static void *run(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&sched.lock);
	while (!sched.stopping) {
		struct timespec until;

		pthread_mutex_unlock(&sched.lock);
		tick_once();
		pthread_mutex_lock(&sched.lock);
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += sched.interval;
		while (!sched.stopping &&
		       pthread_cond_timedwait(&sched.wake, &sched.lock, &until) != ETIMEDOUT)
			;
	}
	pthread_mutex_unlock(&sched.lock);
	return NULL;
}

int matter_scheduler_start(struct store *s, const unsigned char *audit_key,
                           const struct security_config *security, int interval_seconds)
{
	int rc;

	sched.store = s;
	sched.audit_key = audit_key;
	sched.security = security;
	sched.interval = interval_seconds > 0 ? interval_seconds : 30;
	sched.stopping = 0;
	if (pthread_cond_init(&sched.wake, NULL) != 0)
		return -1;
	rc = pthread_create(&sched.thread, NULL, run, NULL);
	if (rc != 0) {
		pthread_cond_destroy(&sched.wake);
		return -1;
	}
	sched.running = 1;
	return 0;
}

void matter_scheduler_stop(void)
{
	if (!sched.running)
		return;
	pthread_mutex_lock(&sched.lock);
	sched.stopping = 1;
	pthread_cond_signal(&sched.wake);
	pthread_mutex_unlock(&sched.lock);
	pthread_join(sched.thread, NULL);
	pthread_cond_destroy(&sched.wake);
	sched.running = 0;
}
