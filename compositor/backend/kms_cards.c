/* Several cards: one KMS backend per card of [output] device (a comma
 * list, or "all": every card with a connected connector), behind one
 * tsr_backend. Each card keeps everything of its own (DRM master, page
 * flips, the state restored on exit); this only starts and destroys them
 * together. Connectors of the second card on are named "cardN-" plus the
 * connector's name (card1-HDMI-A-1), so output names stay unique. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kms.h"
#include "tessera/log.h"

struct kms_cards {
	struct tsr_backend base;
	struct tsr_backend *cards[TSR_MAX_CARDS];
	size_t card_count;
	bool every_card; /* "all": a card that fails is skipped */
};

static bool cards_start(struct tsr_backend *base)
{
	struct kms_cards *cards = (struct kms_cards *)base;
	size_t started = 0;
	for (size_t i = 0; i < cards->card_count; i++) {
		if (cards->cards[i]->impl->start(cards->cards[i])) {
			started++;
		} else if (!cards->every_card) {
			return false; /* a card the configuration names must work */
		} else {
			tsr_log(TSR_LOG_WARN, "kms: card %zu of %zu skipped (see above)", i + 1,
				cards->card_count);
		}
	}
	return started > 0;
}

static void cards_destroy(struct tsr_backend *base)
{
	struct kms_cards *cards = (struct kms_cards *)base;
	for (size_t i = cards->card_count; i > 0; i--)
		tsr_backend_destroy(cards->cards[i - 1]);
	free(cards);
}

static const struct tsr_backend_impl kms_cards_impl = {
    .start = cards_start,
    .destroy = cards_destroy,
};

/* "card1-" for /dev/dri/card1: the file name, then a dash. */
static void card_prefix(const char *path, char *out, size_t out_len)
{
	const char *slash = strrchr(path, '/');
	snprintf(out, out_len, "%.8s-", slash ? slash + 1 : path);
}

struct tsr_backend *tsr_backend_kms_cards_create(struct tsr_event_loop *loop,
						 const struct tsr_output_config *config,
						 const struct tsr_backend_listener *listener)
{
	char paths[TSR_MAX_CARDS][TSR_PATH_MAX];
	bool every_card = strcmp(config->device, "all") == 0;
	size_t count = every_card ? kms_find_cards(paths, TSR_MAX_CARDS)
				  : tsr_config_split_devices(config->device, paths);
	if (count == 0)
		return NULL;
	struct kms_cards *cards = calloc(1, sizeof(*cards));
	if (!cards)
		return NULL;
	cards->base.impl = &kms_cards_impl;
	cards->base.listener = *listener;
	cards->every_card = every_card;
	for (size_t i = 0; i < count; i++) {
		struct tsr_output_config card = *config;
		snprintf(card.device, sizeof(card.device), "%s", paths[i]);
		if (i > 0)
			card_prefix(paths[i], card.name_prefix, sizeof(card.name_prefix));
		cards->cards[i] = tsr_backend_kms_create(loop, &card, listener);
		if (!cards->cards[i]) {
			cards_destroy(&cards->base);
			return NULL;
		}
		cards->card_count++;
	}
	tsr_log(TSR_LOG_INFO, "kms: driving %zu card%s", count, count == 1 ? "" : "s");
	return &cards->base;
}
