/* The Xen transport's hypervisor-free logic: grant coverage and quota
 * arithmetic (with overflow cases), xenstore paths and watch tokens, domid
 * parsing, and the toolstack-name -> [domain] mapping. */
#include <stdint.h>
#include <string.h>

#include <drm_fourcc.h>

#include "tessera/config.h"
#include "tessera/protocol.h"
#include "test.h"
#include "transport/xen_grant_check.h"
#include "transport/xen_paths.h"

/* The request the core builds for a surface (see core/domain.c). */
static struct tsr_buffer_request request_for(uint32_t width, uint32_t height, uint32_t stride,
					     uint32_t offset)
{
	return tsr_buffer_request_for(width, height, stride, DRM_FORMAT_XRGB8888, offset);
}

static void grants_exact_cover(void)
{
	char err[160];
	uint32_t pages = 0;
	/* 1024x768x4 = 3 MiB = 768 pages exactly. */
	struct tsr_buffer_request request = request_for(1024, 768, 4096, 0);
	CHECK(tsr_xen_check_grants(0, 768, &request, &pages, err, sizeof(err)));
	CHECK_EQ_INT(pages, 768);
	/* One page short. */
	CHECK(!tsr_xen_check_grants(0, 767, &request, &pages, err, sizeof(err)));
}

static void grants_offset_needs_a_page_more(void)
{
	char err[160];
	uint32_t pages = 0;
	struct tsr_buffer_request request = request_for(1024, 768, 4096, 16);
	CHECK(!tsr_xen_check_grants(16, 768, &request, &pages, err, sizeof(err)));
	CHECK(tsr_xen_check_grants(16, 769, &request, &pages, err, sizeof(err)));
	CHECK_EQ_INT(pages, 769);
}

static void grants_extra_refs_are_not_mapped(void)
{
	char err[160];
	uint32_t pages = 0;
	/* 10x10: 400 bytes in one page; 16 refs offered, one mapped. */
	struct tsr_buffer_request request = request_for(10, 10, 40, 0);
	CHECK(tsr_xen_check_grants(0, 16, &request, &pages, err, sizeof(err)));
	CHECK_EQ_INT(pages, 1);
}

static void grants_last_row_without_padding(void)
{
	char err[160];
	uint32_t pages = 0;
	/* stride 8192 for width 1000: the last row ends at
	 * 99*8192 + 4000 = 815008 bytes -> 199 pages (not 200). */
	struct tsr_buffer_request request = request_for(1000, 100, 8192, 0);
	CHECK(tsr_xen_check_grants(0, 199, &request, &pages, err, sizeof(err)));
	CHECK_EQ_INT(pages, 199);
	CHECK(!tsr_xen_check_grants(0, 198, &request, &pages, err, sizeof(err)));
}

static void grants_bad_counts_and_offsets(void)
{
	char err[160];
	uint32_t pages = 0;
	struct tsr_buffer_request request = request_for(10, 10, 40, 0);
	CHECK(!tsr_xen_check_grants(0, 0, &request, &pages, err, sizeof(err)));
	CHECK(!tsr_xen_check_grants(0, TSR_MAX_GRANT_REFS + 1, &request, &pages, err, sizeof(err)));
	CHECK(!tsr_xen_check_grants(0, UINT32_MAX, &request, &pages, err, sizeof(err)));
	/* The offset must be the one the core validated, and in page 0. */
	CHECK(!tsr_xen_check_grants(4, 1, &request, &pages, err, sizeof(err)));
	struct tsr_buffer_request far = request_for(10, 10, 40, 4096);
	CHECK(!tsr_xen_check_grants(4096, 2, &far, &pages, err, sizeof(err)));
	CHECK(strlen(err) > 0);
}

static void grants_maximum_buffer(void)
{
	char err[160];
	uint32_t pages = 0;
	/* 16384x1024x4 = 64 MiB = TSR_MAX_GRANT_REFS pages. */
	struct tsr_buffer_request request = request_for(16384, 1024, 65536, 0);
	CHECK(tsr_xen_check_grants(0, TSR_MAX_GRANT_REFS, &request, &pages, err, sizeof(err)));
	CHECK_EQ_INT(pages, TSR_MAX_GRANT_REFS);
	/* A request the core would never build (beyond what refs can cover)
	 * is still refused, not wrapped. */
	request.required_bytes = UINT64_MAX - 10;
	CHECK(!tsr_xen_check_grants(0, TSR_MAX_GRANT_REFS, &request, &pages, err, sizeof(err)));
}

static void quota_reserve_and_release(void)
{
	struct tsr_xen_quota quota = {.limit_pages = 100};
	CHECK(tsr_xen_quota_reserve(&quota, 60));
	CHECK(tsr_xen_quota_reserve(&quota, 40));
	CHECK_EQ_INT(quota.used_pages, 100);
	CHECK(!tsr_xen_quota_reserve(&quota, 1));
	CHECK_EQ_INT(quota.used_pages, 100);
	tsr_xen_quota_release(&quota, 60);
	CHECK_EQ_INT(quota.used_pages, 40);
	CHECK(tsr_xen_quota_reserve(&quota, 60));
	tsr_xen_quota_release(&quota, 1000); /* never below zero */
	CHECK_EQ_INT(quota.used_pages, 0);
}

static void quota_overflow(void)
{
	struct tsr_xen_quota quota = {.used_pages = 10, .limit_pages = UINT32_MAX};
	/* 10 + (UINT32_MAX - 5) wraps to 4 in 32 bits: must be refused. */
	CHECK(!tsr_xen_quota_reserve(&quota, UINT32_MAX - 5));
	CHECK_EQ_INT(quota.used_pages, 10);
	CHECK(tsr_xen_quota_reserve(&quota, UINT32_MAX - 10));
	CHECK_EQ_INT(quota.used_pages, UINT32_MAX);
}

/* A guest flooding attaches of maximal buffers: the quota stops it at
 * TSR_XEN_DOMAIN_QUOTA_PAGES, whatever the count. */
static void quota_stops_a_flood(void)
{
	struct tsr_xen_quota quota = {.limit_pages = TSR_XEN_DOMAIN_QUOTA_PAGES};
	char err[160];
	uint32_t granted = 0;
	struct tsr_buffer_request request = request_for(3840, 2160, 3840 * 4, 0);
	for (int i = 0; i < 1000; i++) {
		uint32_t pages;
		CHECK(tsr_xen_check_grants(0, 8100, &request, &pages, err, sizeof(err)));
		if (tsr_xen_quota_reserve(&quota, pages))
			granted++;
	}
	CHECK_EQ_INT(granted, 4);
	CHECK(quota.used_pages <= TSR_XEN_DOMAIN_QUOTA_PAGES);
	CHECK_EQ_INT(TSR_XEN_4K_FRAME_PAGES, 8100);
}

static void domid_parsing(void)
{
	uint32_t domid = 12345;
	CHECK(tsr_xen_parse_domid("0", &domid) && domid == 0);
	CHECK(tsr_xen_parse_domid("7", &domid) && domid == 7);
	CHECK(tsr_xen_parse_domid("32751", &domid) && domid == 32751);
	CHECK(!tsr_xen_parse_domid("32752", &domid)); /* DOMID_FIRST_RESERVED */
	CHECK(!tsr_xen_parse_domid("65535", &domid));
	CHECK(!tsr_xen_parse_domid("", &domid));
	CHECK(!tsr_xen_parse_domid(NULL, &domid));
	CHECK(!tsr_xen_parse_domid("07", &domid));
	CHECK(!tsr_xen_parse_domid("+7", &domid));
	CHECK(!tsr_xen_parse_domid("-1", &domid));
	CHECK(!tsr_xen_parse_domid("7 ", &domid));
	CHECK(!tsr_xen_parse_domid("1e3", &domid));
	CHECK(!tsr_xen_parse_domid("000000000000000000001", &domid));
	CHECK(!tsr_xen_parse_domid("99999999999999999999", &domid));
	CHECK_EQ_INT(domid, 32751);
}

static void paths_and_tokens(void)
{
	char path[TSR_XEN_PATH_MAX];
	CHECK(tsr_xen_vchan_path(5, path, sizeof(path)));
	CHECK(strcmp(path, "/local/domain/5/data/tessera") == 0);
	CHECK(tsr_xen_name_path(32751, path, sizeof(path)));
	CHECK(strcmp(path, "/local/domain/32751/name") == 0);
	/* The longest vchan path fits, and leaves libxenvchan room for
	 * "/event-channel" in its 64-byte buffer. */
	CHECK(tsr_xen_vchan_path(32751, path, sizeof(path)));
	CHECK(strlen(path) + strlen("/event-channel") < 64);
	CHECK(!tsr_xen_vchan_path(32752, path, sizeof(path)));
	char small[16];
	CHECK(!tsr_xen_vchan_path(5, small, sizeof(small)));

	char token[32];
	uint32_t domid = 0;
	CHECK(tsr_xen_vchan_token(42, token, sizeof(token)));
	CHECK(tsr_xen_parse_vchan_token(token, &domid) && domid == 42);
	CHECK(!tsr_xen_parse_vchan_token("tessera-vchan:", &domid));
	CHECK(!tsr_xen_parse_vchan_token("tessera-vchan:042", &domid));
	CHECK(!tsr_xen_parse_vchan_token("tessera-introduce", &domid));
	CHECK(!tsr_xen_parse_vchan_token("/local/domain/42/data/tessera", &domid));
}

static void config_mapping(void)
{
	struct tsr_config config;
	tsr_config_set_defaults(&config);
	char err[256];
	const char *text = "[domain work]\nlabel = Work\ncolour = blue\ntransport = xen\n"
			   "[domain personal]\ncolour = green\ntransport = local\n"
			   "socket = personal.sock\n"
			   "[domain untrusted]\ncolour = red\ntransport = xen\n"
			   "[domain desktop]\ncolour = red\ntransport = xen\ndisplay = pv\n";
	CHECK(tsr_config_load_string(&config, text, "test", err, sizeof(err)));
	if (tsr_test_failures)
		fprintf(stderr, "config: %s\n", err);
	CHECK_EQ_INT(tsr_xen_config_match(&config, "work"), 0);
	CHECK_EQ_INT(tsr_xen_config_match(&config, "untrusted"), 2);
	/* A local domain of the same name is never a Xen guest's identity. */
	CHECK_EQ_INT(tsr_xen_config_match(&config, "personal"), -1);
	CHECK_EQ_INT(tsr_xen_config_match(&config, "Work"), -1);
	CHECK_EQ_INT(tsr_xen_config_match(&config, "work "), -1);
	CHECK_EQ_INT(tsr_xen_config_match(&config, ""), -1);
	CHECK_EQ_INT(tsr_xen_config_match(&config, NULL), -1);
	CHECK_EQ_INT(tsr_xen_config_match(&config, "Domain-0"), -1);
	char long_name[TSR_NAME_MAX + 8];
	memset(long_name, 'w', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	CHECK_EQ_INT(tsr_xen_config_match(&config, long_name), -1);
	/* display = pv domains belong to the displif backend, not the agent's
	 * transport, and the other way round. */
	CHECK_EQ_INT(tsr_xen_config_match(&config, "desktop"), -1);
	CHECK_EQ_INT(tsr_xen_config_match_pv(&config, "desktop"), 3);
	CHECK_EQ_INT(tsr_xen_config_match_pv(&config, "work"), -1);
	CHECK_EQ_INT(tsr_xen_config_match_pv(&config, "personal"), -1);
	CHECK_EQ_INT(tsr_xen_config_match_pv(&config, long_name), -1);
	/* A PV keyboard goes with either display path (its input = pv is
	 * checked by the kbdif backend), never with a local domain. */
	CHECK_EQ_INT(tsr_xen_config_match_any(&config, "desktop"), 3);
	CHECK_EQ_INT(tsr_xen_config_match_any(&config, "work"), 0);
	CHECK_EQ_INT(tsr_xen_config_match_any(&config, "personal"), -1);
	CHECK_EQ_INT(tsr_xen_config_match_any(&config, long_name), -1);
	CHECK_EQ_INT(tsr_xen_config_match_any(&config, NULL), -1);
}

static void dmabuf_span(void)
{
	char why[160];
	uint64_t bytes = 0;
	/* 1024x768 XRGB8888 at offset 0: the 768 pages import maps. */
	CHECK(tsr_xen_dmabuf_bytes(0, 768, &bytes, why, sizeof(why)));
	CHECK(bytes == 768ull * TSR_PAGE_SIZE);
	/* The largest buffer: every page of TSR_MAX_GRANT_REFS, no overflow. */
	CHECK(tsr_xen_dmabuf_bytes(0, TSR_MAX_GRANT_REFS, &bytes, why, sizeof(why)));
	CHECK(bytes == (uint64_t)TSR_MAX_GRANT_REFS * TSR_PAGE_SIZE);
	/* A first pixel inside the first page: the dma-buf would start
	 * before it. Mapped only, with the reason. */
	bytes = 7;
	CHECK(!tsr_xen_dmabuf_bytes(16, 769, &bytes, why, sizeof(why)));
	CHECK(strstr(why, "offset 16") != NULL);
	CHECK(bytes == 7);
	CHECK(!tsr_xen_dmabuf_bytes(0, 0, &bytes, why, sizeof(why)));
	CHECK(!tsr_xen_dmabuf_bytes(0, TSR_MAX_GRANT_REFS + 1, &bytes, why, sizeof(why)));
	CHECK(!tsr_xen_dmabuf_bytes(0, UINT32_MAX, &bytes, why, sizeof(why)));
}

TSR_TEST_MAIN(TSR_CASE(grants_exact_cover), TSR_CASE(dmabuf_span),
	      TSR_CASE(grants_offset_needs_a_page_more), TSR_CASE(grants_extra_refs_are_not_mapped),
	      TSR_CASE(grants_last_row_without_padding), TSR_CASE(grants_bad_counts_and_offsets),
	      TSR_CASE(grants_maximum_buffer), TSR_CASE(quota_reserve_and_release),
	      TSR_CASE(quota_overflow), TSR_CASE(quota_stops_a_flood), TSR_CASE(domid_parsing),
	      TSR_CASE(paths_and_tokens), TSR_CASE(config_mapping))
