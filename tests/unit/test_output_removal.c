/* The output-removal contract of tessera/output.h on the headless backend:
 * destroying a backend announces every output (listener.removed) while the
 * output is still whole, and nothing about it reaches the compositor after.
 * The KMS backend's side is checked on vkms (tests/vm/kms_backend_test.c,
 * test_removed_before_destroy). */
#include <drm_fourcc.h>
#include <string.h>

#include "tessera/event_loop.h"
#include "tessera/output.h"
#include "test.h"

struct observer {
	struct tsr_output *output;
	char name[sizeof(((struct tsr_output *)0)->name)];
	size_t added, removed, frames, frames_at_removal;
	bool intact_at_removal;
};

static void on_frame(void *data, struct tsr_output *output, uint64_t time_ns)
{
	struct observer *observer = data;
	observer->frames++;
}

static void on_removed(void *data, struct tsr_output *output)
{
	struct observer *observer = data;
	observer->removed++;
	observer->frames_at_removal = observer->frames;
	observer->intact_at_removal = output == observer->output && output->impl &&
				      output->width == 320 &&
				      strcmp(output->name, observer->name) == 0;
}

static void on_output_added(void *data, struct tsr_output *output)
{
	struct observer *observer = data;
	observer->added++;
	observer->output = output;
	snprintf(observer->name, sizeof(observer->name), "%s", output->name);
	output->listener = (struct tsr_output_listener){
	    .frame = on_frame,
	    .removed = on_removed,
	    .data = observer,
	};
}

static void test_headless_announces_removal(void)
{
	struct tsr_event_loop *loop = tsr_event_loop_create();
	CHECK(loop != NULL);
	if (!loop)
		return;
	struct observer observer = {0};
	struct tsr_output_config config = {
	    .backend = TSR_BACKEND_HEADLESS, .width = 320, .height = 200, .refresh_mhz = 1000000};
	struct tsr_backend_listener listener = {.output_added = on_output_added, .data = &observer};
	struct tsr_backend *backend = tsr_backend_headless_create(loop, &config, &listener);
	CHECK(backend && backend->impl->start(backend));
	CHECK_EQ_INT(observer.added, 1);
	if (observer.output) {
		/* One frame shown, a second in flight when the backend goes. */
		int age = 0;
		struct tsr_buffer *buffer = observer.output->impl->acquire(observer.output, &age);
		CHECK(buffer && observer.output->impl->present(observer.output, buffer, NULL));
		while (observer.frames < 1 && tsr_event_loop_dispatch(loop, 1000))
			;
		buffer = observer.output->impl->acquire(observer.output, &age);
		CHECK(buffer && observer.output->impl->present(observer.output, buffer, NULL));
	}
	CHECK_EQ_INT(observer.frames, 1);
	CHECK_EQ_INT(observer.removed, 0);
	tsr_backend_destroy(backend);
	CHECK_EQ_INT(observer.removed, 1);
	CHECK(observer.intact_at_removal);
	/* The loop goes on: nothing of the destroyed output fires. */
	tsr_event_loop_dispatch(loop, 20);
	CHECK_EQ_INT(observer.frames, observer.frames_at_removal);
	tsr_event_loop_destroy(loop);
}

TSR_TEST_MAIN(TSR_CASE(test_headless_announces_removal))
