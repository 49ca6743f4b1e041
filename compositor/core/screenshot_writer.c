/* See screenshot_writer.h. A job is owned by the loop until the writer is
 * destroyed with the job still running; then it is "abandoned" and the
 * thread frees it when done. job->lock orders those two hand-overs. */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "core/screenshot_writer.h"
#include "tessera/buffer.h"
#include "tessera/event_loop.h"
#include "tessera/image.h"
#include "tessera/log.h"

/* How long shutdown waits for screenshots still being written. */
#define SHUTDOWN_WAIT_S 10

struct screenshot_job {
	struct tsr_screenshot_writer *writer;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t finished_cond;
	bool finished;	/* the thread is done with the file (under lock) */
	bool abandoned; /* the writer is gone: the thread frees the job (under lock) */
	int done_fd;	/* eventfd the thread signals */
	struct tsr_event_source *source;
	struct tsr_buffer *image;
	tsr_screenshot_done_func done;
	void *data;
	bool ok;
	char message[512];
	char path[PATH_MAX];
};

struct tsr_screenshot_writer {
	struct tsr_event_loop *loop;
	struct screenshot_job *jobs[TSR_SCREENSHOT_MAX_JOBS];
};

static void job_free(struct screenshot_job *job)
{
	tsr_buffer_destroy(job->image);
	if (job->done_fd >= 0)
		close(job->done_fd);
	pthread_cond_destroy(&job->finished_cond);
	pthread_mutex_destroy(&job->lock);
	free(job);
}

static void *run_job(void *data)
{
	struct screenshot_job *job = data;
	job->ok = tsr_png_write(job->path, job->image, job->message, sizeof(job->message));
	tsr_buffer_destroy(job->image);
	job->image = NULL;

	pthread_mutex_lock(&job->lock);
	job->finished = true;
	bool abandoned = job->abandoned;
	pthread_cond_broadcast(&job->finished_cond);
	pthread_mutex_unlock(&job->lock);
	if (abandoned) {
		job_free(job);
		return NULL;
	}
	uint64_t one = 1;
	/* Cannot fail short of a bug: an eventfd counter does not overflow here. */
	if (write(job->done_fd, &one, sizeof(one)) != sizeof(one))
		tsr_log(TSR_LOG_ERROR, "screenshot %s: cannot signal completion", job->path);
	return NULL;
}

static void remove_job(struct tsr_screenshot_writer *writer, struct screenshot_job *job)
{
	for (size_t i = 0; i < TSR_SCREENSHOT_MAX_JOBS; i++)
		if (writer->jobs[i] == job)
			writer->jobs[i] = NULL;
}

static void handle_job_done(int fd, uint32_t mask, void *data)
{
	struct screenshot_job *job = data;
	uint64_t count;
	if (read(fd, &count, sizeof(count)) != sizeof(count) && errno == EAGAIN)
		return;
	pthread_join(job->thread, NULL);
	tsr_event_source_remove(job->source);
	remove_job(job->writer, job);
	if (job->done)
		job->done(job->data, job->ok, job->ok ? job->path : job->message);
	job_free(job);
}

struct tsr_screenshot_writer *tsr_screenshot_writer_create(struct tsr_event_loop *loop)
{
	struct tsr_screenshot_writer *writer = calloc(1, sizeof(*writer));
	if (writer)
		writer->loop = loop;
	return writer;
}

bool tsr_screenshot_writer_start(struct tsr_screenshot_writer *writer, const char *path,
				 struct tsr_buffer *image, tsr_screenshot_done_func done,
				 void *data, char *err, size_t err_len)
{
	size_t slot = 0;
	while (slot < TSR_SCREENSHOT_MAX_JOBS && writer->jobs[slot])
		slot++;
	if (slot == TSR_SCREENSHOT_MAX_JOBS) {
		snprintf(err, err_len, "%u screenshots are being written already; try again later",
			 TSR_SCREENSHOT_MAX_JOBS);
		tsr_buffer_destroy(image);
		return false;
	}
	if (strlen(path) >= PATH_MAX) {
		snprintf(err, err_len, "path too long");
		tsr_buffer_destroy(image);
		return false;
	}
	struct screenshot_job *job = calloc(1, sizeof(*job));
	if (!job) {
		snprintf(err, err_len, "out of memory");
		tsr_buffer_destroy(image);
		return false;
	}
	job->writer = writer;
	job->image = image;
	job->done = done;
	job->data = data;
	memcpy(job->path, path, strlen(path) + 1);
	pthread_mutex_init(&job->lock, NULL);
	pthread_cond_init(&job->finished_cond, NULL);
	job->done_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (job->done_fd < 0) {
		snprintf(err, err_len, "eventfd: %s", strerror(errno));
		goto error;
	}
	job->source = tsr_event_loop_add_fd(writer->loop, job->done_fd, TSR_EVENT_READABLE,
					    handle_job_done, job);
	if (!job->source) {
		snprintf(err, err_len, "cannot watch the screenshot job");
		goto error;
	}
	/* The thread inherits the loop's blocked signals (signalfd). */
	int error = pthread_create(&job->thread, NULL, run_job, job);
	if (error) {
		snprintf(err, err_len, "cannot start a thread: %s", strerror(error));
		goto error;
	}
	writer->jobs[slot] = job;
	return true;
error:
	tsr_event_source_remove(job->source);
	job_free(job);
	return false;
}

void tsr_screenshot_writer_forget(struct tsr_screenshot_writer *writer, void *data)
{
	for (size_t i = 0; writer && i < TSR_SCREENSHOT_MAX_JOBS; i++)
		if (writer->jobs[i] && writer->jobs[i]->data == data)
			writer->jobs[i]->done = NULL;
}

void tsr_screenshot_writer_destroy(struct tsr_screenshot_writer *writer)
{
	if (!writer)
		return;
	struct timespec deadline;
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += SHUTDOWN_WAIT_S;
	for (size_t i = 0; i < TSR_SCREENSHOT_MAX_JOBS; i++) {
		struct screenshot_job *job = writer->jobs[i];
		if (!job)
			continue;
		tsr_event_source_remove(job->source);
		pthread_mutex_lock(&job->lock);
		while (!job->finished &&
		       pthread_cond_timedwait(&job->finished_cond, &job->lock, &deadline) == 0)
			;
		bool finished = job->finished;
		if (!finished) {
			/* Logged before the unlock: from then on the thread owns job. */
			tsr_log(TSR_LOG_WARN,
				"screenshot %s: still being written at exit; left to finish",
				job->path);
			job->abandoned = true;
			pthread_detach(job->thread);
		}
		pthread_mutex_unlock(&job->lock);
		if (finished) {
			pthread_join(job->thread, NULL);
			job_free(job);
		}
	}
	free(writer);
}
