/* The direct-scanout decision alone (core/scanout_policy.h): every rule,
 * each breaking an otherwise eligible case, names its reason; and the
 * headless backend offers no scanout at all, so an output of it always
 * composes, whatever the guest's buffer. */
#include <drm_fourcc.h>
#include <string.h>

#include "core/scanout_policy.h"
#include "tessera/event_loop.h"
#include "tessera/output.h"
#include "test.h"

static const pixman_box32_t content = {4, 32, 636, 476};

static struct tsr_buffer dmabuf_buffer(void)
{
	return (struct tsr_buffer){.width = 632,
				   .height = 444,
				   .stride = 632 * 4,
				   .format = DRM_FORMAT_XRGB8888,
				   .dmabuf_fd = 7};
}

static struct tsr_scanout_facts eligible(const struct tsr_buffer *buffer)
{
	return (struct tsr_scanout_facts){
	    .backend_can = true,
	    .mode = TSR_LAYOUT_FOCUS,
	    .shown = 1,
	    .visible = true,
	    .content = content,
	    .buffer = buffer,
	};
}

static void expect_composition(const struct tsr_scanout_facts *facts, const char *reason)
{
	const char *why = NULL;
	CHECK_EQ_INT(tsr_scanout_choose(facts, &why), -1);
	CHECK(why && strcmp(why, reason) == 0);
	if (why && strcmp(why, reason) != 0)
		fprintf(stderr, "  reason '%s', expected '%s'\n", why, reason);
}

static void test_eligible(void)
{
	struct tsr_buffer buffer = dmabuf_buffer();
	struct tsr_scanout_facts facts = eligible(&buffer);
	const char *why = NULL;
	CHECK_EQ_INT(tsr_scanout_choose(&facts, &why), 1);
	CHECK(why && why[0] == '\0');
}

static void test_each_rule(void)
{
	struct tsr_buffer buffer = dmabuf_buffer();
	struct tsr_scanout_facts facts;

	facts = eligible(&buffer);
	facts.backend_can = false;
	expect_composition(&facts, "the output has no scanout");
	facts = eligible(&buffer);
	facts.forbidden = true;
	expect_composition(&facts, "scanout switched off");
	facts = eligible(&buffer);
	facts.locked = true;
	expect_composition(&facts, "locked");
	facts = eligible(&buffer);
	facts.mode = TSR_LAYOUT_MOSAIC;
	expect_composition(&facts, "mosaic layout");
	facts = eligible(&buffer);
	facts.shown = -1;
	expect_composition(&facts, "no domain shown");
	facts = eligible(&buffer);
	facts.visible = false;
	expect_composition(&facts, "no domain shown");
	facts = eligible(&buffer);
	facts.view_count = 1;
	expect_composition(&facts, "a fixed-size display");
	facts = eligible(NULL);
	expect_composition(&facts, "no buffer");
	facts = eligible(&buffer);
	facts.software_cursor = true;
	expect_composition(&facts, "the cursor is drawn in software");

	struct tsr_buffer mapped = dmabuf_buffer();
	mapped.dmabuf_fd = -1;
	facts = eligible(&mapped);
	expect_composition(&facts, "the buffer is not a dma-buf");
	struct tsr_buffer alpha = dmabuf_buffer();
	alpha.format = DRM_FORMAT_ARGB8888;
	facts = eligible(&alpha);
	expect_composition(&facts, "the buffer is not opaque XRGB8888");
	struct tsr_buffer narrow = dmabuf_buffer();
	narrow.width--;
	facts = eligible(&narrow);
	expect_composition(&facts, "the buffer is not the size of its content box");
	struct tsr_buffer tall = dmabuf_buffer();
	tall.height++;
	facts = eligible(&tall);
	expect_composition(&facts, "the buffer is not the size of its content box");
	/* Hostile sizes do not wrap. */
	struct tsr_buffer huge = dmabuf_buffer();
	huge.width = UINT32_MAX;
	facts = eligible(&huge);
	expect_composition(&facts, "the buffer is not the size of its content box");
}

static void output_added(void *data, struct tsr_output *output)
{
	*(struct tsr_output **)data = output;
}

/* Headless outputs never scan out: no present_scanout. */
static void test_headless_never_scans_out(void)
{
	struct tsr_event_loop *loop = tsr_event_loop_create();
	struct tsr_output_config config = {.width = 320, .height = 240};
	struct tsr_output *output = NULL;
	struct tsr_backend_listener listener = {.output_added = output_added, .data = &output};
	struct tsr_backend *backend = tsr_backend_headless_create(loop, &config, &listener);
	CHECK(backend && backend->impl->start(backend));
	CHECK(output != NULL);
	if (output) {
		CHECK(output->impl->present_scanout == NULL);
		CHECK(output->impl->forget_buffer == NULL);
		struct tsr_buffer buffer = dmabuf_buffer();
		struct tsr_scanout_facts facts = eligible(&buffer);
		facts.backend_can = output->impl->present_scanout != NULL;
		expect_composition(&facts, "the output has no scanout");
	}
	tsr_backend_destroy(backend);
	tsr_event_loop_destroy(loop);
}

TSR_TEST_MAIN(TSR_CASE(test_eligible), TSR_CASE(test_each_rule),
	      TSR_CASE(test_headless_never_scans_out))
