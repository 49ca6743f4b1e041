/* Reference-image checks for render tests; see reference.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "reference.h"
#include "tessera/image.h"

#define REFERENCE_DIR TSR_SOURCE_ROOT "/data/reference"
#define OUTPUT_DIR TSR_BUILD_ROOT "/test-output"

static bool make_directory(const char *path)
{
	if (mkdir(path, 0755) == 0 || errno == EEXIST)
		return true;
	fprintf(stderr, "reference: cannot create %s: %s\n", path, strerror(errno));
	return false;
}

static bool valid_name(const char *name)
{
	return name && *name && !strchr(name, '/') && strcmp(name, ".") != 0 &&
	       strcmp(name, "..") != 0;
}

static bool update_requested(void)
{
	const char *update = getenv("TESSERA_UPDATE_REFERENCES");
	return update && strcmp(update, "1") == 0;
}

static bool write_reference(const struct tsr_buffer *actual, const char *reference_path)
{
	char err[512];
	if (!make_directory(TSR_SOURCE_ROOT "/data") || !make_directory(REFERENCE_DIR))
		return false;
	if (!tsr_png_write(reference_path, actual, err, sizeof(err))) {
		fprintf(stderr, "reference: cannot write reference: %s\n", err);
		return false;
	}
	fprintf(stderr, "reference: wrote %s (TESSERA_UPDATE_REFERENCES=1): check it by eye\n",
		reference_path);
	return true;
}

/* Keeps what the test rendered so a developer can look at it. */
static void write_actual(const struct tsr_buffer *actual, const char *actual_path)
{
	char err[512];
	if (!make_directory(OUTPUT_DIR))
		return;
	if (tsr_png_write(actual_path, actual, err, sizeof(err)))
		fprintf(stderr, "reference:   actual image: %s\n", actual_path);
	else
		fprintf(stderr, "reference: cannot write actual image: %s\n", err);
}

bool tsr_check_reference(const struct tsr_buffer *actual, const char *name)
{
	if (!valid_name(name)) {
		fprintf(stderr, "reference: invalid reference name \"%s\"\n", name ? name : "");
		return false;
	}
	if (!actual) {
		fprintf(stderr, "reference %s: no image to compare\n", name);
		return false;
	}
	char reference_path[4096], actual_path[4096], diff_path[4096];
	snprintf(reference_path, sizeof(reference_path), "%s/%s.png", REFERENCE_DIR, name);
	snprintf(actual_path, sizeof(actual_path), "%s/%s-actual.png", OUTPUT_DIR, name);
	snprintf(diff_path, sizeof(diff_path), "%s/%s-diff.png", OUTPUT_DIR, name);

	if (update_requested())
		return write_reference(actual, reference_path);

	char err[512];
	struct stat st;
	if (stat(reference_path, &st) != 0 && errno == ENOENT) {
		fprintf(stderr,
			"reference %s: %s does not exist. Create it by running the test with "
			"TESSERA_UPDATE_REFERENCES=1 in the environment (e.g. "
			"TESSERA_UPDATE_REFERENCES=1 meson test -C <build> <test>), then check "
			"the image and add it to git.\n",
			name, reference_path);
		write_actual(actual, actual_path);
		return false;
	}
	struct tsr_buffer *expected = tsr_png_read(reference_path, err, sizeof(err));
	if (!expected) {
		fprintf(stderr, "reference %s: cannot read reference: %s\n", name, err);
		write_actual(actual, actual_path);
		return false;
	}

	struct tsr_image_diff diff;
	bool output_ready = make_directory(OUTPUT_DIR);
	bool matches = tsr_image_compare(actual, expected, TSR_REFERENCE_TOLERANCE_BELOW,
					 TSR_REFERENCE_TOLERANCE_ABOVE,
					 output_ready ? diff_path : NULL, &diff);
	if (!matches) {
		fprintf(stderr,
			"reference %s: MISMATCH with %s: actual %ux%u, expected %ux%u, %llu "
			"pixel(s) outside -%d..+%d, first at (%d, %d), largest channel delta "
			"%d\n",
			name, reference_path, actual->width, actual->height, expected->width,
			expected->height, (unsigned long long)diff.differing_pixels,
			TSR_REFERENCE_TOLERANCE_BELOW, TSR_REFERENCE_TOLERANCE_ABOVE, diff.first_x,
			diff.first_y, diff.max_channel_delta);
		write_actual(actual, actual_path);
		if (output_ready)
			fprintf(stderr, "reference:   diff image:   %s\n", diff_path);
	}
	tsr_buffer_destroy(expected);
	return matches;
}
