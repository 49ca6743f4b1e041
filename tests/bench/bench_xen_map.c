/* bench-xen-map: what mapping a guest buffer costs dom0, per surface size.
 * Not a test: it prints figures. Runs in a Xen dom0 with xen-gntalloc and
 * xen-gntdev loaded (tests/vm/xen-e2e.sh runs it).
 *
 * The pages are granted read-only by this domain to itself through gntalloc
 * (the agent's path, xengntshr_share_pages) and mapped read-only through
 * gntdev (Tessera's path, xengnttab_map_domain_grant_refs), so one process
 * measures both ends; the hypercalls and page-table work are those of a
 * domU's grants. Each map + unmap is compared with one memcpy of the same
 * number of bytes, the cost a copying transport would pay per frame. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include <xengnttab.h>
#include <xenstore.h>

#define PAGE_BYTES 4096u

struct size_case {
	const char *name;
	uint32_t width, height, rounds;
};

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static uint32_t own_domid(void)
{
	struct xs_handle *xs = xs_open(0);
	uint32_t domid = 0;
	char *text = xs ? xs_read(xs, XBT_NULL, "domid", NULL) : NULL;
	if (text)
		sscanf(text, "%u", &domid);
	free(text);
	if (xs)
		xs_close(xs);
	return domid;
}

/* Prints one line; false when the grant machinery failed. */
static bool bench_size(xengntshr_handle *gntshr, xengnttab_handle *gnttab, uint32_t domid,
		       const struct size_case *size)
{
	size_t bytes = (size_t)size->width * size->height * 4u;
	uint32_t pages = (uint32_t)((bytes + PAGE_BYTES - 1) / PAGE_BYTES);
	uint32_t *refs = calloc(pages, sizeof(*refs));
	uint8_t *source = malloc(bytes), *target = malloc(bytes);
	void *shared = refs ? xengntshr_share_pages(gntshr, domid, (int)pages, refs, 0) : NULL;
	bool ok = false;
	if (!shared || !source || !target) {
		printf("bench-xen-map: %s: cannot share %u pages: %s\n", size->name, pages,
		       strerror(errno));
		goto out;
	}
	memset(shared, 0x5a, (size_t)pages * PAGE_BYTES);
	memset(source, 0xa5, bytes);
	memset(target, 0, bytes);
	double map_ms = 0, unmap_ms = 0, copy_ms = 0;
	for (uint32_t round = 0; round < size->rounds; round++) {
		double start = now_ms();
		volatile uint8_t *map =
		    xengnttab_map_domain_grant_refs(gnttab, pages, domid, refs, PROT_READ);
		double mapped = now_ms();
		if (!map) {
			printf("bench-xen-map: %s: mapping %u grants failed: %s\n", size->name,
			       pages, strerror(errno));
			goto out;
		}
		/* The mapping really shows the granted pages. */
		if (map[0] != 0x5a || map[(size_t)pages * PAGE_BYTES - 1] != 0x5a) {
			printf("bench-xen-map: %s: the mapping does not show the pages\n",
			       size->name);
			xengnttab_unmap(gnttab, (void *)map, pages);
			goto out;
		}
		xengnttab_unmap(gnttab, (void *)map, pages);
		double unmapped = now_ms();
		memcpy(target, source, bytes);
		double copied = now_ms();
		map_ms += mapped - start;
		unmap_ms += unmapped - mapped;
		copy_ms += copied - unmapped;
	}
	double rounds = size->rounds;
	printf("benchmark: grant map+unmap %s (%u pages): map %.3f ms, unmap %.3f ms, "
	       "memcpy %.3f ms, (map+unmap)/memcpy %.2f\n",
	       size->name, pages, map_ms / rounds, unmap_ms / rounds, copy_ms / rounds,
	       copy_ms > 0 ? (map_ms + unmap_ms) / copy_ms : 0.0);
	ok = target[bytes - 1] == 0xa5;
out:
	if (shared)
		xengntshr_unshare(gntshr, shared, pages);
	free(refs);
	free(source);
	free(target);
	return ok;
}

int main(void)
{
	static const struct size_case sizes[] = {
	    {"640x480", 640, 480, 20},
	    {"1920x1080", 1920, 1080, 8},
	    {"3840x2160", 3840, 2160, 4},
	};
	setvbuf(stdout, NULL, _IOLBF, 0);
	xengntshr_handle *gntshr = xengntshr_open(NULL, 0);
	xengnttab_handle *gnttab = xengnttab_open(NULL, 0);
	if (!gntshr || !gnttab) {
		printf("bench-xen-map: needs gntalloc and gntdev (a Xen dom0): %s\n",
		       strerror(errno));
		return 1;
	}
	/* A 4K frame is 8100 pages; the default gntdev limit is lower on
	 * older kernels. */
	xengnttab_set_max_grants(gnttab, 16384);
	uint32_t domid = own_domid();
	int failed = 0;
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		failed += !bench_size(gntshr, gnttab, domid, &sizes[i]);
	xengnttab_close(gnttab);
	xengntshr_close(gntshr);
	return failed ? 1 : 0;
}
