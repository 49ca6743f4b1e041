/* Several cards: one KMS backend per card of [output] device (a comma
 * list, "all": every card with a connected connector, or "": the first
 * such card), behind one tsr_backend. Each card keeps everything of its
 * own (DRM master, page flips, the state restored on exit); this starts
 * and destroys them together and follows hotplug (kms_hotplug.c): a card's
 * connectors changing re-probes that card only, a card vanishing removes
 * its outputs, a card appearing is driven when the configuration wants it
 * ("all", or a path it names that comes back). Connectors of every card
 * but the first are named "cardN-" plus the connector's name
 * (card1-HDMI-A-1), so output names stay unique; a card that comes back
 * keeps its slot and so its names. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kms.h"
#include "tessera/log.h"

/* Cards seen while running: the configured ones plus, with "all", hot-added
 * ones. */
#define CARD_SLOTS (TSR_MAX_CARDS * 2)

struct card_slot {
	char path[TSR_PATH_MAX];
	struct tsr_backend *backend; /* NULL: absent, or present without an output */
};

struct kms_cards {
	struct tsr_backend base;
	struct tsr_event_loop *loop;
	struct tsr_output_config config;
	struct card_slot slots[CARD_SLOTS];
	size_t slot_count;
	bool every_card; /* "all": a card that fails is skipped, new cards are taken */
	struct kms_hotplug *hotplug;
	/* Start-up is over: cards driven from now on (hotplug) get no render
	 * device. The renderer is chosen once, on a card of the start, and
	 * GBM must not load a driver later, under the sandbox. */
	bool started;
};

/* "card1-" for /dev/dri/card1: the file name, then a dash. */
static void card_prefix(const char *path, char *out, size_t out_len)
{
	const char *slash = strrchr(path, '/');
	snprintf(out, out_len, "%.8s-", slash ? slash + 1 : path);
}

static bool slot_start(struct kms_cards *cards, size_t index)
{
	struct card_slot *slot = &cards->slots[index];
	struct tsr_output_config card = cards->config;
	snprintf(card.device, sizeof(card.device), "%s", slot->path);
	if (index > 0)
		card_prefix(slot->path, card.name_prefix, sizeof(card.name_prefix));
	struct tsr_backend_listener listener = cards->base.listener;
	if (cards->started)
		listener.render_device = NULL;
	slot->backend = tsr_backend_kms_create(cards->loop, &card, &listener);
	if (slot->backend && slot->backend->impl->start(slot->backend))
		return true;
	tsr_backend_destroy(slot->backend);
	slot->backend = NULL;
	return false;
}

static struct card_slot *find_slot(struct kms_cards *cards, const char *path, size_t *index)
{
	for (size_t i = 0; i < cards->slot_count; i++) {
		if (strcmp(cards->slots[i].path, path) == 0) {
			if (index)
				*index = i;
			return &cards->slots[i];
		}
	}
	return NULL;
}

static void card_added(void *data, const char *devnode)
{
	struct kms_cards *cards = data;
	size_t index;
	struct card_slot *slot = find_slot(cards, devnode, &index);
	if (!slot) {
		if (!cards->every_card || cards->slot_count >= CARD_SLOTS)
			return; /* not a card the configuration asks for */
		index = cards->slot_count++;
		slot = &cards->slots[index];
		snprintf(slot->path, sizeof(slot->path), "%s", devnode);
	}
	if (!slot->backend && slot_start(cards, index))
		tsr_log(TSR_LOG_INFO, "kms: driving hot-plugged %s", devnode);
	/* Else it may have no connected connector yet: its change event says. */
}

static void card_removed(void *data, const char *devnode)
{
	struct card_slot *slot = find_slot(data, devnode, NULL);
	if (!slot || !slot->backend)
		return;
	kms_backend_card_gone(slot->backend);
	tsr_backend_destroy(slot->backend);
	slot->backend = NULL;
	tsr_log(TSR_LOG_INFO, "kms: %s removed with its outputs", devnode);
}

static void card_changed(void *data, const char *devnode)
{
	struct kms_cards *cards = data;
	size_t index;
	struct card_slot *slot = find_slot(cards, devnode, &index);
	if (!slot && cards->every_card) {
		card_added(cards, devnode);
		return;
	}
	if (!slot)
		return;
	if (slot->backend)
		kms_backend_reprobe(slot->backend);
	else if (slot_start(cards, index))
		tsr_log(TSR_LOG_INFO, "kms: driving %s (a connector connected)", devnode);
}

static bool cards_start(struct tsr_backend *base)
{
	struct kms_cards *cards = (struct kms_cards *)base;
	size_t started = 0;
	for (size_t i = 0; i < cards->slot_count; i++) {
		if (slot_start(cards, i)) {
			started++;
		} else if (!cards->every_card) {
			return false; /* a card the configuration names must work */
		} else {
			tsr_log(TSR_LOG_WARN, "kms: card %zu of %zu skipped (see above)", i + 1,
				cards->slot_count);
		}
	}
	cards->started = true;
	if (started == 0)
		return false;
	/* After the cards started: their own outputs are announced first. */
	struct kms_hotplug_listener listener = {
	    .card_added = card_added,
	    .card_removed = card_removed,
	    .card_changed = card_changed,
	    .data = cards,
	};
	cards->hotplug = kms_hotplug_create(cards->loop, &listener);
	return true;
}

static void cards_destroy(struct tsr_backend *base)
{
	struct kms_cards *cards = (struct kms_cards *)base;
	kms_hotplug_destroy(cards->hotplug);
	for (size_t i = cards->slot_count; i > 0; i--)
		tsr_backend_destroy(cards->slots[i - 1].backend);
	free(cards);
}

static const struct tsr_backend_impl kms_cards_impl = {
    .start = cards_start,
    .destroy = cards_destroy,
};

struct tsr_backend *tsr_backend_kms_cards_create(struct tsr_event_loop *loop,
						 const struct tsr_output_config *config,
						 const struct tsr_backend_listener *listener)
{
	char paths[TSR_MAX_CARDS][TSR_PATH_MAX];
	bool every_card = strcmp(config->device, "all") == 0;
	size_t count;
	if (every_card)
		count = kms_find_cards(paths, TSR_MAX_CARDS);
	else if (config->device[0] == '\0')
		count = kms_find_cards(paths, 1);
	else
		count = tsr_config_split_devices(config->device, paths);
	if (count == 0)
		return NULL;
	struct kms_cards *cards = calloc(1, sizeof(*cards));
	if (!cards)
		return NULL;
	cards->base.impl = &kms_cards_impl;
	cards->base.listener = *listener;
	cards->loop = loop;
	cards->config = *config;
	cards->every_card = every_card;
	for (size_t i = 0; i < count; i++)
		snprintf(cards->slots[i].path, sizeof(cards->slots[i].path), "%.*s",
			 (int)sizeof(paths[i]) - 1, paths[i]);
	cards->slot_count = count;
	tsr_log(TSR_LOG_INFO, "kms: driving %zu card%s", count, count == 1 ? "" : "s");
	return &cards->base;
}
