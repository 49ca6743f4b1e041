#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <xenevtchn.h>
#include <xentoollog.h>

#include "input/key_repeat.h"
#include "tessera/event_loop.h"
#include "tessera/log.h"
#include "transport/kbdif_device.h"
#include "transport/kbdif_queue.h"

struct tsr_kbdif_device {
	struct tsr_input_sink sink; /* first: the sink callbacks cast back */
	struct tsr_event_loop *loop;
	xengnttab_handle *gnttab;
	uint32_t domid;
	char name[TSR_NAME_MAX];
	uint8_t *page; /* the frontend's page, mapped read-write */
	xentoollog_logger_stdiostream *quiet_logger;
	xenevtchn_handle *evtchn;
	xenevtchn_port_or_error_t local_port;
	struct tsr_event_source *evtchn_source;
	struct tsr_event_source *repeat_timer;
	struct tsr_event_source *violation_idle;
	struct tsr_kbdif_device_owner owner;
	struct tsr_kbdif_queue queue;
	uint32_t prod;
	struct tsr_key_repeat repeat;
	bool failed;
	char failure[160];
	uint64_t dropped_logged; /* queue.dropped at the last log line */
	uint64_t notifications;
};

static void report_violation(void *data)
{
	struct tsr_kbdif_device *device = data;
	device->violation_idle = NULL;
	device->owner.violation(device->owner.data, device->failure);
}

static void fail(struct tsr_kbdif_device *device, const char *reason)
{
	if (device->failed)
		return;
	device->failed = true;
	snprintf(device->failure, sizeof(device->failure), "%s", reason);
	tsr_key_repeat_stop(&device->repeat);
	tsr_event_source_timer_update(device->repeat_timer, 0);
	device->violation_idle = tsr_event_loop_add_idle(device->loop, report_violation, device);
}

/* Moves the backlog into the ring and tells the frontend. */
static void flush(struct tsr_kbdif_device *device)
{
	if (device->failed)
		return;
	int written = tsr_kbdif_queue_flush(&device->queue, device->page, &device->prod);
	if (written < 0) {
		fail(device, "its keyboard ring's consumer index (in_cons) is impossible");
		return;
	}
	if (written > 0)
		xenevtchn_notify(device->evtchn, (evtchn_port_t)device->local_port);
	if (device->queue.dropped > device->dropped_logged) {
		tsr_log_domain(TSR_LOG_WARN, device->name, (int32_t)device->domid,
			       "kbdif: the guest does not read its input ring: %llu events "
			       "dropped so far (key releases are kept)",
			       (unsigned long long)device->queue.dropped);
		device->dropped_logged = device->queue.dropped;
	}
}

static void arm_repeat(struct tsr_kbdif_device *device)
{
	uint64_t deadline, now = tsr_now_ns();
	if (!tsr_key_repeat_deadline(&device->repeat, &deadline)) {
		tsr_event_source_timer_update(device->repeat_timer, 0);
		return;
	}
	tsr_event_source_timer_update(device->repeat_timer, deadline > now ? deadline - now : 1);
}

static void handle_repeat(void *data)
{
	struct tsr_kbdif_device *device = data;
	uint32_t code;
	if (!device->failed && tsr_key_repeat_due(&device->repeat, tsr_now_ns(), &code)) {
		/* A press of a key that is down: xen-kbdfront reports value 2. */
		tsr_kbdif_queue_key(&device->queue, code, true);
		flush(device);
	}
	arm_repeat(device);
}

static void handle_evtchn(int fd, uint32_t mask, void *data)
{
	(void)fd;
	(void)mask;
	struct tsr_kbdif_device *device = data;
	xenevtchn_port_or_error_t port = xenevtchn_pending(device->evtchn);
	if (port < 0)
		return;
	xenevtchn_unmask(device->evtchn, (evtchn_port_t)port);
	device->notifications++;
	/* The frontend consumed: room for the backlog. Bounded work per
	 * notification, however many a guest sends. */
	if (tsr_kbdif_queue_pending(&device->queue) || device->queue.deferred_position)
		flush(device);
}

static struct tsr_kbdif_device *from_sink(struct tsr_input_sink *sink)
{
	return (struct tsr_kbdif_device *)sink;
}

static void sink_key(struct tsr_input_sink *sink, uint32_t code, bool pressed, uint64_t time_ns)
{
	(void)time_ns;
	struct tsr_kbdif_device *device = from_sink(sink);
	if (device->failed)
		return;
	if (pressed)
		tsr_key_repeat_press(&device->repeat, code, tsr_now_ns());
	else
		tsr_key_repeat_release(&device->repeat, code);
	tsr_kbdif_queue_key(&device->queue, code, pressed);
	flush(device);
	arm_repeat(device);
}

static void sink_motion(struct tsr_input_sink *sink, uint32_t x, uint32_t y, uint32_t display_w,
			uint32_t display_h, uint64_t time_ns)
{
	(void)time_ns;
	struct tsr_kbdif_device *device = from_sink(sink);
	if (device->failed || !display_w || !display_h)
		return;
	/* Guest pixels to the announced range (1:1 when they agree). */
	uint64_t ax = (uint64_t)x * sink->width / display_w;
	uint64_t ay = (uint64_t)y * sink->height / display_h;
	tsr_kbdif_queue_position(&device->queue, (int32_t)ax, (int32_t)ay);
	flush(device);
}

static void sink_axis(struct tsr_input_sink *sink, bool horizontal, int32_t steps, uint64_t time_ns)
{
	(void)time_ns;
	struct tsr_kbdif_device *device = from_sink(sink);
	/* kbdif has a vertical wheel only. */
	if (device->failed || horizontal)
		return;
	tsr_kbdif_queue_wheel(&device->queue, steps);
	flush(device);
}

static void sink_focus_out(struct tsr_input_sink *sink)
{
	struct tsr_kbdif_device *device = from_sink(sink);
	tsr_key_repeat_stop(&device->repeat);
	arm_repeat(device);
}

static const struct tsr_input_sink_impl sink_impl = {
    .key = sink_key,
    .motion = sink_motion,
    .axis = sink_axis,
    .focus_out = sink_focus_out,
};

struct tsr_kbdif_device *tsr_kbdif_device_create(struct tsr_event_loop *loop,
						 xengnttab_handle *gnttab,
						 const struct tsr_kbdif_device_params *params,
						 const struct tsr_kbdif_device_owner *owner,
						 char *err, size_t err_len)
{
	struct tsr_kbdif_device *device = calloc(1, sizeof(*device));
	if (!device) {
		snprintf(err, err_len, "out of memory");
		return NULL;
	}
	device->sink = (struct tsr_input_sink){
	    .impl = &sink_impl, .width = params->width, .height = params->height};
	device->loop = loop;
	device->gnttab = gnttab;
	device->domid = params->domid;
	device->owner = *owner;
	device->local_port = -1;
	snprintf(device->name, sizeof(device->name), "%s", params->domain_name);
	tsr_kbdif_queue_init(&device->queue);
	tsr_key_repeat_init(&device->repeat, params->input->repeat_delay_ms,
			    params->input->repeat_rate);

	/* Read-write: the backend produces into the in-ring. */
	device->page = xengnttab_map_grant_ref(gnttab, params->domid, params->untrusted_gref,
					       PROT_READ | PROT_WRITE);
	if (!device->page) {
		snprintf(err, err_len, "cannot map its page-gref %u read-write: %s",
			 params->untrusted_gref, strerror(errno));
		goto error;
	}
	device->quiet_logger = xtl_createlogger_stdiostream(stderr, XTL_CRITICAL, 0);
	device->evtchn = xenevtchn_open((xentoollog_logger *)device->quiet_logger, 0);
	if (!device->evtchn) {
		snprintf(err, err_len, "cannot open /dev/xen/evtchn: %s", strerror(errno));
		goto error;
	}
	device->local_port = xenevtchn_bind_interdomain(device->evtchn, params->domid,
							(evtchn_port_t)params->untrusted_port);
	if (device->local_port < 0) {
		snprintf(err, err_len, "cannot bind its event-channel %u: %s",
			 params->untrusted_port, strerror(errno));
		goto error;
	}
	/* Where the frontend's consumer starts (0 from an honest one); read
	 * once, checked against in_cons on every write. */
	device->prod = __atomic_load_n((uint32_t *)(void *)(device->page + 4), __ATOMIC_ACQUIRE);
	device->evtchn_source = tsr_event_loop_add_fd(loop, xenevtchn_fd(device->evtchn),
						      TSR_EVENT_READABLE, handle_evtchn, device);
	device->repeat_timer = tsr_event_loop_add_timer(loop, handle_repeat, device);
	if (!device->evtchn_source || !device->repeat_timer) {
		snprintf(err, err_len, "cannot watch its event channel");
		goto error;
	}
	return device;
error:
	tsr_kbdif_device_destroy(device);
	return NULL;
}

void tsr_kbdif_device_destroy(struct tsr_kbdif_device *device)
{
	if (!device)
		return;
	tsr_event_source_remove(device->violation_idle);
	tsr_event_source_remove(device->repeat_timer);
	tsr_event_source_remove(device->evtchn_source);
	if (device->evtchn) {
		if (device->local_port >= 0)
			xenevtchn_unbind(device->evtchn, (evtchn_port_t)device->local_port);
		xenevtchn_close(device->evtchn);
	}
	if (device->page)
		xengnttab_unmap(device->gnttab, device->page, 1);
	xtl_logger_destroy((xentoollog_logger *)device->quiet_logger);
	free(device);
}

struct tsr_input_sink *tsr_kbdif_device_sink(struct tsr_kbdif_device *device)
{
	return &device->sink;
}
