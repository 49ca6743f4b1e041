/* Headless backend: in-memory outputs with a simulated refresh: one per
 * [output NAME] section, named after it and of its mode (else of the
 * [output] size), or HEADLESS-1 of the [output] size without any. Two
 * buffers alternate like a real double-buffered CRTC, so buffer ages and
 * damage tracking behave exactly as on KMS. */
#include <drm_fourcc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tessera/event_loop.h"
#include "tessera/log.h"
#include "tessera/output.h"

#define HEADLESS_BUFFERS 2

struct headless_output {
	struct tsr_output base;
	struct tsr_event_loop *loop;
	struct tsr_event_source *vblank;
	struct tsr_buffer *buffers[HEADLESS_BUFFERS];
	uint64_t presented_at[HEADLESS_BUFFERS]; /* frame number, 0 = never */
	uint64_t frame_counter;
	struct tsr_buffer *front;
	bool flip_pending;
};

struct headless_backend {
	struct tsr_backend base;
	struct tsr_event_loop *loop;
	struct tsr_output_config config;
	struct headless_output *outputs[TSR_MAX_OUTPUT_SECTIONS];
	size_t output_count;
};

static struct tsr_buffer *headless_acquire(struct tsr_output *base, int *age)
{
	struct headless_output *output = (struct headless_output *)base;
	for (size_t i = 0; i < HEADLESS_BUFFERS; i++) {
		if (output->buffers[i] == output->front)
			continue;
		*age = output->presented_at[i]
			   ? (int)(output->frame_counter - output->presented_at[i] + 1)
			   : 0;
		return output->buffers[i];
	}
	return NULL;
}

static bool headless_present(struct tsr_output *base, struct tsr_buffer *buffer,
			     const pixman_region32_t *damage)
{
	struct headless_output *output = (struct headless_output *)base;
	if (output->flip_pending) {
		tsr_log(TSR_LOG_ERROR, "output %s: present while a frame is pending", base->name);
		return false;
	}
	output->frame_counter++;
	for (size_t i = 0; i < HEADLESS_BUFFERS; i++)
		if (output->buffers[i] == buffer)
			output->presented_at[i] = output->frame_counter;
	output->front = buffer;
	base->last_presented = buffer;
	output->flip_pending = true;
	tsr_event_source_timer_update(output->vblank, 1000000000000ull / base->refresh_mhz);
	return true;
}

static void headless_vblank(void *data)
{
	struct headless_output *output = data;
	output->flip_pending = false;
	if (output->base.listener.frame)
		output->base.listener.frame(output->base.listener.data, &output->base,
					    tsr_now_ns());
}

static void headless_output_destroy(struct tsr_output *base)
{
	struct headless_output *output = (struct headless_output *)base;
	if (!output)
		return;
	tsr_event_source_remove(output->vblank);
	for (size_t i = 0; i < HEADLESS_BUFFERS; i++)
		tsr_buffer_destroy(output->buffers[i]);
	free(output);
}

static const struct tsr_output_impl headless_output_impl = {
    .acquire = headless_acquire,
    .present = headless_present,
    .destroy = headless_output_destroy,
};

static struct headless_output *create_output(struct headless_backend *backend, const char *name,
					     uint32_t width, uint32_t height)
{
	struct headless_output *output = calloc(1, sizeof(*output));
	if (!output)
		return NULL;
	output->base.impl = &headless_output_impl;
	snprintf(output->base.name, sizeof(output->base.name), "%s", name);
	output->base.width = width;
	output->base.height = height;
	output->base.refresh_mhz =
	    backend->config.refresh_mhz ? backend->config.refresh_mhz : 60000;
	output->loop = backend->loop;
	output->vblank = tsr_event_loop_add_timer(backend->loop, headless_vblank, output);
	if (!output->vblank)
		goto error;
	for (size_t i = 0; i < HEADLESS_BUFFERS; i++) {
		output->buffers[i] = tsr_buffer_create_memory(
		    output->base.width, output->base.height, DRM_FORMAT_XRGB8888);
		if (!output->buffers[i]) {
			tsr_log(TSR_LOG_ERROR, "headless: cannot allocate a %ux%u buffer",
				output->base.width, output->base.height);
			goto error;
		}
	}
	return output;
error:
	headless_output_destroy(&output->base);
	return NULL;
}

static bool headless_start(struct tsr_backend *base)
{
	struct headless_backend *backend = (struct headless_backend *)base;
	const struct tsr_output_config *config = &backend->config;
	size_t count = config->head_count ? config->head_count : 1;
	/* All first, then announced: a failure leaves no output behind. */
	for (size_t i = 0; i < count; i++) {
		const struct tsr_output_head_config *head =
		    config->head_count ? &config->heads[i] : NULL;
		struct headless_output *output =
		    create_output(backend, head ? head->name : "HEADLESS-1",
				  head && head->width ? head->width : config->width,
				  head && head->width ? head->height : config->height);
		if (!output) {
			for (size_t j = 0; j < backend->output_count; j++)
				headless_output_destroy(&backend->outputs[j]->base);
			backend->output_count = 0;
			return false;
		}
		backend->outputs[backend->output_count++] = output;
	}
	for (size_t i = 0; i < backend->output_count; i++)
		backend->base.listener.output_added(backend->base.listener.data,
						    &backend->outputs[i]->base);
	return true;
}

static void headless_backend_destroy(struct tsr_backend *base)
{
	struct headless_backend *backend = (struct headless_backend *)base;
	for (size_t i = 0; i < backend->output_count; i++) {
		struct headless_output *output = backend->outputs[i];
		if (output->base.listener.removed)
			output->base.listener.removed(output->base.listener.data, &output->base);
		headless_output_destroy(&output->base);
	}
	free(backend);
}

/* Unplugging announces the removal and destroys the output; plugging
 * creates it again from its section, as a real connector would come back. */
static bool headless_set_connected(struct tsr_backend *base, const char *name, bool connected)
{
	struct headless_backend *backend = (struct headless_backend *)base;
	const struct tsr_output_config *config = &backend->config;
	for (size_t i = 0; i < backend->output_count; i++) {
		struct headless_output *output = backend->outputs[i];
		if (strcmp(output->base.name, name) != 0)
			continue;
		if (connected)
			return true;
		backend->outputs[i] = backend->outputs[--backend->output_count];
		tsr_log(TSR_LOG_INFO, "headless: %s disconnected", name);
		if (output->base.listener.removed)
			output->base.listener.removed(output->base.listener.data, &output->base);
		headless_output_destroy(&output->base);
		return true;
	}
	const struct tsr_output_head_config *head = tsr_config_find_head(config, name);
	if (!connected || !head || backend->output_count >= TSR_MAX_OUTPUT_SECTIONS)
		return !connected && head;
	struct headless_output *output =
	    create_output(backend, head->name, head->width ? head->width : config->width,
			  head->width ? head->height : config->height);
	if (!output)
		return false;
	backend->outputs[backend->output_count++] = output;
	tsr_log(TSR_LOG_INFO, "headless: %s connected", name);
	backend->base.listener.output_added(backend->base.listener.data, &output->base);
	return true;
}

static const struct tsr_backend_impl headless_backend_impl = {
    .start = headless_start,
    .destroy = headless_backend_destroy,
    .set_connected = headless_set_connected,
};

struct tsr_backend *tsr_backend_headless_create(struct tsr_event_loop *loop,
						const struct tsr_output_config *config,
						const struct tsr_backend_listener *listener)
{
	struct headless_backend *backend = calloc(1, sizeof(*backend));
	if (!backend)
		return NULL;
	backend->base.impl = &headless_backend_impl;
	backend->base.listener = *listener;
	backend->loop = loop;
	backend->config = *config;
	if (backend->config.width == 0 || backend->config.height == 0) {
		backend->config.width = 1280;
		backend->config.height = 800;
	}
	return &backend->base;
}
