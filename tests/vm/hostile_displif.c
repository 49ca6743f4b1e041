/* A hostile displif frontend for the Xen stage (tests/vm/displif-e2e.sh):
 * a static program in a busybox domU (no drm_xen_front there) that plays
 * xen-drm-front's part of the handshake on the guest's vdispl device, then
 * drives the protocol wrongly in one of several ways. Tessera must drop the
 * device with a log line naming the domain and go on with the other guests.
 *
 *   hostile-displif MODE        (device 0, connector 0)
 *
 * Modes:
 *   prod-overflow   req_prod far ahead of anything answered
 *   lying-directory DBUF_CREATE of 2000 pages whose directory ends after
 *                   the first page (next = 0)
 *   foreign-refs    DBUF_CREATE whose directory page was never granted
 *   fb-overflow     FB_ATTACH of 4095x2047 on a one-page buffer
 *   state-games     the frontend state flips between 1 and 3
 *   notify-flood    event-channel notifications without end
 *
 * Prints "hostile-displif: ..." lines (the domU's console) and exits when
 * the backend closes the device (state 6), or after 60 s. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <xenevtchn.h>
#include <xengnttab.h>
#include <xenstore.h>

#include "transport/displif_wire.h"

static struct xs_handle *xs;
static char front[96], back[128];

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	va_list args;
	va_start(args, fmt);
	printf("hostile-displif: ");
	vprintf(fmt, args);
	printf("\n");
	fflush(stdout);
	va_end(args);
}

static void write_node(const char *dir, const char *node, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void write_node(const char *dir, const char *node, const char *fmt, ...)
{
	char path[192], value[64];
	va_list args;
	va_start(args, fmt);
	vsnprintf(value, sizeof(value), fmt, args);
	va_end(args);
	snprintf(path, sizeof(path), "%s/%s", dir, node);
	if (!xs_write(xs, XBT_NULL, path, value, (unsigned)strlen(value)))
		say("cannot write %s", path);
}

static int backend_state(void)
{
	char path[160];
	snprintf(path, sizeof(path), "%s/state", back);
	char *value = xs_read(xs, XBT_NULL, path, NULL);
	int state = value ? atoi(value) : -1;
	free(value);
	return state;
}

static bool wait_backend(int wanted, int seconds)
{
	for (int i = 0; i < seconds * 10; i++) {
		if (backend_state() == wanted)
			return true;
		usleep(100000);
	}
	return false;
}

static void put32(uint8_t *page, size_t offset, uint32_t value)
{
	memcpy(page + offset, &value, sizeof(value));
}

static void put64(uint8_t *page, size_t offset, uint64_t value)
{
	memcpy(page + offset, &value, sizeof(value));
}

static uint32_t req_prod;

static void push(uint8_t *ring, uint8_t operation, const uint8_t *body)
{
	uint8_t *slot = ring + TSR_DISPLIF_SRING_SLOTS_OFFSET +
			(req_prod & (TSR_DISPLIF_RING_SLOTS - 1u)) * TSR_DISPLIF_PACKET_SIZE;
	memcpy(slot, body, TSR_DISPLIF_PACKET_SIZE);
	uint16_t id = (uint16_t)req_prod;
	memcpy(slot, &id, sizeof(id));
	slot[TSR_DISPLIF_REQ_OPERATION] = operation;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	put32(ring, TSR_DISPLIF_SRING_REQ_PROD, ++req_prod);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s MODE\n", argv[0]);
		return 2;
	}
	const char *mode = argv[1];
	xs = xs_open(0);
	xengntshr_handle *gntshr = xengntshr_open(NULL, 0);
	xenevtchn_handle *xce = xenevtchn_open(NULL, 0);
	if (!xs || !gntshr || !xce) {
		say("cannot open xenstore, gntalloc or evtchn");
		return 1;
	}
	char *domid_text = xs_read(xs, XBT_NULL, "domid", NULL);
	unsigned domid = domid_text ? (unsigned)atoi(domid_text) : 0;
	free(domid_text);
	snprintf(front, sizeof(front), "/local/domain/%u/device/vdispl/0", domid);
	snprintf(back, sizeof(back), "/local/domain/0/backend/vdispl/%u/0", domid);
	say("mode %s, domid %u, waiting for the backend's InitWait", mode, domid);
	if (!wait_backend(2, 60)) {
		say("the backend never reached InitWait (state %d)", backend_state());
		return 1;
	}
	/* Pages: request ring, event page, a directory page, a buffer page. */
	uint32_t refs[4];
	uint8_t *pages = xengntshr_share_pages(gntshr, 0, 4, refs, 1);
	if (!pages) {
		say("cannot share pages");
		return 1;
	}
	memset(pages, 0, 4 * TSR_DISPLIF_PAGE_SIZE);
	/* pages[1], the event page, stays zero: the backend produces there. */
	uint8_t *ring = pages;
	uint8_t *directory = pages + 2 * TSR_DISPLIF_PAGE_SIZE;
	put32(ring, TSR_DISPLIF_SRING_REQ_EVENT, 1);
	put32(ring, TSR_DISPLIF_SRING_RSP_EVENT, 1);
	xenevtchn_port_or_error_t req_port = xenevtchn_bind_unbound_port(xce, 0);
	xenevtchn_port_or_error_t evt_port = xenevtchn_bind_unbound_port(xce, 0);
	if (req_port < 0 || evt_port < 0) {
		say("cannot allocate event channels");
		return 1;
	}
	char connector[128];
	snprintf(connector, sizeof(connector), "%s/0", front);
	write_node(connector, "req-ring-ref", "%u", refs[0]);
	write_node(connector, "req-event-channel", "%d", req_port);
	write_node(connector, "evt-ring-ref", "%u", refs[1]);
	write_node(connector, "evt-event-channel", "%d", evt_port);
	write_node(front, "state", "3");
	if (!wait_backend(4, 30)) {
		say("the backend did not connect (state %d)", backend_state());
		return 1;
	}
	say("connected, misbehaving: %s", mode);
	uint8_t body[TSR_DISPLIF_PACKET_SIZE] = {0};
	if (strcmp(mode, "prod-overflow") == 0) {
		put32(ring, TSR_DISPLIF_SRING_REQ_PROD, 1000);
		xenevtchn_notify(xce, (evtchn_port_t)req_port);
	} else if (strcmp(mode, "lying-directory") == 0) {
		/* 2000 refs need two directory pages; this one says there is
		 * no next page. */
		put32(directory, 0, 0);
		for (uint32_t i = 0; i < TSR_DISPLIF_PGDIR_REFS_PER_PAGE; i++)
			put32(directory, 4 + 4 * i, refs[3]);
		put64(body, TSR_DISPLIF_DBUF_COOKIE, 0x1111);
		put32(body, TSR_DISPLIF_DBUF_BUFFER_SZ, 2000u * TSR_DISPLIF_PAGE_SIZE);
		put32(body, TSR_DISPLIF_DBUF_GREF_DIRECTORY, refs[2]);
		push(ring, TSR_DISPLIF_OP_DBUF_CREATE, body);
		xenevtchn_notify(xce, (evtchn_port_t)req_port);
	} else if (strcmp(mode, "foreign-refs") == 0) {
		/* A directory page we never granted. */
		put64(body, TSR_DISPLIF_DBUF_COOKIE, 0x1112);
		put32(body, TSR_DISPLIF_DBUF_BUFFER_SZ, 4u * TSR_DISPLIF_PAGE_SIZE);
		put32(body, TSR_DISPLIF_DBUF_GREF_DIRECTORY, refs[3] + 4000u);
		push(ring, TSR_DISPLIF_OP_DBUF_CREATE, body);
		xenevtchn_notify(xce, (evtchn_port_t)req_port);
	} else if (strcmp(mode, "fb-overflow") == 0) {
		put32(directory, 4, refs[3]);
		put64(body, TSR_DISPLIF_DBUF_COOKIE, 0x2222);
		put32(body, TSR_DISPLIF_DBUF_BUFFER_SZ, TSR_DISPLIF_PAGE_SIZE);
		put32(body, TSR_DISPLIF_DBUF_GREF_DIRECTORY, refs[2]);
		push(ring, TSR_DISPLIF_OP_DBUF_CREATE, body);
		memset(body, 0, sizeof(body));
		put64(body, TSR_DISPLIF_FB_DBUF_COOKIE, 0x2222);
		put64(body, TSR_DISPLIF_FB_COOKIE, 0x3333);
		put32(body, TSR_DISPLIF_FB_WIDTH, 4095);
		put32(body, TSR_DISPLIF_FB_HEIGHT, 2047);
		put32(body, TSR_DISPLIF_FB_FORMAT, 0x34325258u); /* XR24 */
		push(ring, TSR_DISPLIF_OP_FB_ATTACH, body);
		xenevtchn_notify(xce, (evtchn_port_t)req_port);
	} else if (strcmp(mode, "state-games") == 0) {
		/* Sustained, until dropped (30 s at most): a short burst may stay
		 * under the rate limit when dom0 is slow to read it. */
		for (int i = 0; i < 1500 && backend_state() != 6; i++) {
			write_node(front, "state", i % 2 ? "3" : "1");
			usleep(20000);
		}
	} else if (strcmp(mode, "notify-flood") == 0) {
		for (long i = 0; i < 2000000 && (i % 1000 || backend_state() == 4); i++)
			xenevtchn_notify(xce, (evtchn_port_t)req_port);
	} else {
		say("unknown mode %s", mode);
		return 2;
	}
	for (int i = 0; i < 600; i++) {
		int state = backend_state();
		if (state == 6) {
			say("the backend closed the device (state 6)");
			return 0;
		}
		usleep(100000);
	}
	say("the backend did not close the device in 60 s (state %d)", backend_state());
	return 1;
}
