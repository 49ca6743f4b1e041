#include "core/output_views.h"

void tsr_output_views_init(struct tsr_output_views *views, size_t domain_count)
{
	*views = (struct tsr_output_views){
	    .domain_count = domain_count,
	    .keyboard = domain_count > 0 ? 0 : -1,
	    .parked_mode = TSR_LAYOUT_MOSAIC,
	};
	for (size_t i = 0; i < TSR_VIEWS_MAX_OUTPUTS; i++)
		views->shown[i] = -1;
}

static int output_showing(const struct tsr_output_views *views, int domain)
{
	for (size_t i = 0; i < views->output_count; i++)
		if (views->shown[i] == domain)
			return (int)i;
	return -1;
}

bool tsr_output_views_add(struct tsr_output_views *views)
{
	if (views->output_count >= TSR_VIEWS_MAX_OUTPUTS)
		return false;
	int shown = -1;
	if (views->keyboard >= 0 && output_showing(views, views->keyboard) < 0) {
		shown = views->keyboard;
	} else {
		for (size_t d = 0; d < views->domain_count && shown < 0; d++)
			if (output_showing(views, (int)d) < 0)
				shown = (int)d;
	}
	views->mode[views->output_count] =
	    views->output_count > 0 ? views->mode[0] : views->parked_mode;
	views->shown[views->output_count] = shown;
	views->output_count++;
	return true;
}

void tsr_output_views_remove(struct tsr_output_views *views, size_t index)
{
	if (index >= views->output_count)
		return;
	bool had_keyboard = views->keyboard >= 0 && views->shown[index] == views->keyboard;
	views->parked_mode = views->mode[index];
	for (size_t i = index; i + 1 < views->output_count; i++) {
		views->mode[i] = views->mode[i + 1];
		views->shown[i] = views->shown[i + 1];
	}
	views->output_count--;
	views->shown[views->output_count] = -1;
	if (had_keyboard && views->output_count > 0)
		tsr_output_views_focus(views, 0, views->keyboard);
}

bool tsr_output_views_focus(struct tsr_output_views *views, size_t output, int domain)
{
	if (domain < 0 || (size_t)domain >= views->domain_count)
		return false;
	if (views->output_count == 0) {
		views->keyboard = domain;
		return true;
	}
	if (output >= views->output_count)
		return false;
	int before = views->shown[output];
	int other = output_showing(views, domain);
	if (other >= 0 && (size_t)other != output)
		views->shown[other] = before;
	views->shown[output] = domain;
	views->keyboard = domain;
	return true;
}

void tsr_output_views_set_mode(struct tsr_output_views *views, size_t output,
			       enum tsr_layout_mode mode)
{
	if (output < views->output_count)
		views->mode[output] = mode;
}

bool tsr_output_views_equal(const struct tsr_output_views *a, const struct tsr_output_views *b)
{
	if (a->domain_count != b->domain_count || a->output_count != b->output_count ||
	    a->keyboard != b->keyboard)
		return false;
	for (size_t i = 0; i < a->output_count; i++)
		if (a->mode[i] != b->mode[i] || a->shown[i] != b->shown[i])
			return false;
	return true;
}

int tsr_output_views_focus_output(const struct tsr_output_views *views, int domain)
{
	int output = domain >= 0 ? output_showing(views, domain) : -1;
	return output >= 0 && views->mode[output] == TSR_LAYOUT_FOCUS ? output : -1;
}
