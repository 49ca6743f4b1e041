/* Configuration reader: the example files, every error class with its exact
 * FILE:LINE and message, hotkey chords and the built-in defaults. */
#include <linux/input-event-codes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tessera/config.h"
#include "../test.h"

#define EXAMPLE_CONF TSR_SOURCE_ROOT "/data/tessera.conf"
#define EXAMPLE_XEN_CONF TSR_SOURCE_ROOT "/data/tessera-xen.conf"

static struct tsr_config config;
static char err[512];

static bool load(const char *text)
{
	err[0] = '\0';
	return tsr_config_load_string(&config, text, "test.conf", err, sizeof(err));
}

/* Loading must fail with exactly this message. */
#define EXPECT_ERROR(text, expected)                                                               \
	do {                                                                                       \
		bool loaded_ = load(text);                                                         \
		CHECK(!loaded_);                                                                   \
		if (strcmp(err, expected) != 0) {                                                  \
			fprintf(stderr, "%s:%d: got error \"%s\"\n   expected \"%s\"\n", __FILE__, \
				__LINE__, err, expected);                                          \
			tsr_test_failures++;                                                       \
		}                                                                                  \
	} while (0)

#define EXPECT_OK(text)                                                                            \
	do {                                                                                       \
		bool loaded_ = load(text);                                                         \
		if (!loaded_) {                                                                    \
			fprintf(stderr, "%s:%d: unexpected error \"%s\"\n", __FILE__, __LINE__,    \
				err);                                                              \
			tsr_test_failures++;                                                       \
		}                                                                                  \
	} while (0)

static const struct tsr_hotkey *find_hotkey(const struct tsr_config *c, enum tsr_action action,
					    int argument)
{
	for (size_t i = 0; i < c->hotkey_count; i++) {
		if (c->hotkeys[i].action == action && c->hotkeys[i].argument == argument)
			return &c->hotkeys[i];
	}
	return NULL;
}

/* Checks a hotkey is Ctrl+Alt+key. */
static bool is_ctrl_alt(const struct tsr_hotkey *hotkey, uint32_t key)
{
	return hotkey && hotkey->modifier_count == 2 && hotkey->modifiers[0] == KEY_LEFTCTRL &&
	       hotkey->modifiers[1] == KEY_LEFTALT && hotkey->key == key;
}

static void check_default_hotkeys(const struct tsr_config *c)
{
	static const uint32_t digit_keys[] = {KEY_1, KEY_2, KEY_3, KEY_4, KEY_5,
					      KEY_6, KEY_7, KEY_8, KEY_9};
	CHECK_EQ_INT(c->hotkey_count, 14);
	for (int n = 1; n <= 9; n++)
		CHECK(is_ctrl_alt(find_hotkey(c, TSR_ACTION_FOCUS_DOMAIN, n), digit_keys[n - 1]));
	CHECK(is_ctrl_alt(find_hotkey(c, TSR_ACTION_FOCUS_NEXT, 0), KEY_RIGHT));
	CHECK(is_ctrl_alt(find_hotkey(c, TSR_ACTION_FOCUS_PREV, 0), KEY_LEFT));
	CHECK(is_ctrl_alt(find_hotkey(c, TSR_ACTION_TOGGLE_MOSAIC, 0), KEY_M));
	CHECK(is_ctrl_alt(find_hotkey(c, TSR_ACTION_GPU_HANDOFF, 0), KEY_G));
	CHECK(is_ctrl_alt(find_hotkey(c, TSR_ACTION_LOCK, 0), KEY_L));
}

static void test_defaults(void)
{
	struct tsr_config c;
	memset(&c, 0xa5, sizeof(c));
	tsr_config_set_defaults(&c);
	CHECK_EQ_INT(c.output.backend, TSR_BACKEND_HEADLESS);
	CHECK_EQ_INT(c.output.renderer, TSR_RENDERER_AUTO);
	CHECK_EQ_INT(c.output.width, 1280);
	CHECK_EQ_INT(c.output.height, 800);
	CHECK_EQ_INT(c.output.refresh_mhz, 60000);
	CHECK(strcmp(c.output.device, "") == 0);
	CHECK_EQ_INT(c.border_width, 4);
	CHECK_EQ_INT(c.banner_height, 28);
	CHECK(strcmp(c.font_path, TSR_DEFAULT_FONT) == 0);
	CHECK_EQ_INT(c.background_colour, 0x202020);
	CHECK(strcmp(c.control_socket, "control.sock") == 0);
	CHECK_EQ_INT(c.domain_count, 0);
	check_default_hotkeys(&c);

	/* An empty file is the defaults. */
	EXPECT_OK("");
	CHECK_EQ_INT(config.output.width, 1280);
	CHECK_EQ_INT(config.domain_count, 0);
	check_default_hotkeys(&config);
}

static void check_domain(const struct tsr_config *c, size_t index, const char *name,
			 uint32_t colour, enum tsr_transport_kind transport, const char *socket)
{
	CHECK(index < c->domain_count);
	if (index >= c->domain_count)
		return;
	const struct tsr_domain_config *d = &c->domains[index];
	CHECK(strcmp(d->name, name) == 0);
	CHECK(strcmp(d->label, name) == 0);
	CHECK_EQ_INT(d->colour, colour);
	CHECK_EQ_INT(d->transport, transport);
	CHECK(strcmp(d->socket_path, socket) == 0);
	CHECK_EQ_INT(tsr_config_find_domain(c, name), (int)index);
}

static void test_example_file(void)
{
	struct tsr_config c;
	char file_err[512] = "";
	bool loaded = tsr_config_load_file(&c, EXAMPLE_CONF, file_err, sizeof(file_err));
	if (!loaded)
		fprintf(stderr, "example: %s\n", file_err);
	CHECK(loaded);
	if (!loaded)
		return;
	CHECK_EQ_INT(c.output.backend, TSR_BACKEND_HEADLESS);
	CHECK_EQ_INT(c.output.width, 1280);
	CHECK_EQ_INT(c.output.height, 800);
	CHECK_EQ_INT(c.output.refresh_mhz, 60000);
	CHECK_EQ_INT(c.border_width, 4);
	CHECK_EQ_INT(c.banner_height, 28);
	CHECK_EQ_INT(c.background_colour, 0x202020);
	CHECK(strcmp(c.font_path, TSR_DEFAULT_FONT) == 0);
	CHECK(strcmp(c.control_socket, "control.sock") == 0);
	CHECK_EQ_INT(c.domain_count, 3);
	check_domain(&c, 0, "work", 0x3465a4, TSR_TRANSPORT_LOCAL, "work.sock");
	check_domain(&c, 1, "personal", 0x4e9a06, TSR_TRANSPORT_LOCAL, "personal.sock");
	check_domain(&c, 2, "untrusted", 0xcc0000, TSR_TRANSPORT_LOCAL, "untrusted.sock");
	CHECK_EQ_INT(tsr_config_find_domain(&c, "nope"), -1);
	check_default_hotkeys(&c);
}

static void test_example_xen_file(void)
{
	struct tsr_config c;
	char file_err[512] = "";
	bool loaded = tsr_config_load_file(&c, EXAMPLE_XEN_CONF, file_err, sizeof(file_err));
	if (!loaded)
		fprintf(stderr, "xen example: %s\n", file_err);
	CHECK(loaded);
	if (!loaded)
		return;
	CHECK_EQ_INT(c.output.backend, TSR_BACKEND_KMS);
	CHECK_EQ_INT(c.output.width, 0);
	CHECK_EQ_INT(c.output.height, 0);
	CHECK_EQ_INT(c.domain_count, 3);
	check_domain(&c, 0, "work", 0x3465a4, TSR_TRANSPORT_XEN, "");
	check_domain(&c, 1, "personal", 0x4e9a06, TSR_TRANSPORT_XEN, "");
	check_domain(&c, 2, "untrusted", 0xcc0000, TSR_TRANSPORT_XEN, "");
	check_default_hotkeys(&c);
}

static void test_missing_file(void)
{
	struct tsr_config c;
	char file_err[512] = "";
	CHECK(!tsr_config_load_file(&c, "/nonexistent/tessera.conf", file_err, sizeof(file_err)));
	CHECK(strcmp(file_err,
		     "/nonexistent/tessera.conf: cannot open: No such file or directory") == 0);
}

static void test_values(void)
{
	EXPECT_OK("[output]\n"
		  "backend = kms\n"
		  "width = 1920\n"
		  "height = 1080\n"
		  "refresh = 59.94\n"
		  "device = /dev/dri/card1\n"
		  "[decorations]\n"
		  "border_width = 64\n"
		  "banner_height = 16\n"
		  "font = /tmp/font.ttf\n"
		  "background = #0a0B0c\n"
		  "[control]\n"
		  "socket = /run/tessera/ctl\n"
		  "[domain sys-net.1_a]\n"
		  "label = Network (VPN)\n"
		  "colour = ORANGE\n"
		  "[domain vm2]\n"
		  "colour = #123456\n"
		  "transport = xen\n");
	CHECK_EQ_INT(config.output.backend, TSR_BACKEND_KMS);
	CHECK_EQ_INT(config.output.width, 1920);
	CHECK_EQ_INT(config.output.height, 1080);
	CHECK_EQ_INT(config.output.refresh_mhz, 59940);
	CHECK(strcmp(config.output.device, "/dev/dri/card1") == 0);
	CHECK_EQ_INT(config.border_width, 64);
	CHECK_EQ_INT(config.banner_height, 16);
	CHECK(strcmp(config.font_path, "/tmp/font.ttf") == 0);
	CHECK_EQ_INT(config.background_colour, 0x0a0b0c);
	CHECK(strcmp(config.control_socket, "/run/tessera/ctl") == 0);
	CHECK_EQ_INT(config.domain_count, 2);
	CHECK(strcmp(config.domains[0].name, "sys-net.1_a") == 0);
	CHECK(strcmp(config.domains[0].label, "Network (VPN)") == 0);
	CHECK_EQ_INT(config.domains[0].colour, 0xf57900);
	CHECK_EQ_INT(config.domains[0].transport, TSR_TRANSPORT_LOCAL);
	/* Default socket: NAME.sock. */
	CHECK(strcmp(config.domains[0].socket_path, "sys-net.1_a.sock") == 0);
	CHECK(strcmp(config.domains[1].label, "vm2") == 0);
	CHECK_EQ_INT(config.domains[1].colour, 0x123456);
	CHECK_EQ_INT(config.domains[1].transport, TSR_TRANSPORT_XEN);
	CHECK(strcmp(config.domains[1].socket_path, "") == 0);

	/* Every named colour. */
	static const struct {
		const char *name;
		uint32_t rgb;
	} palette[] = {
	    {"red", 0xcc0000},	{"orange", 0xf57900}, {"yellow", 0xedd400}, {"green", 0x4e9a06},
	    {"blue", 0x3465a4}, {"purple", 0x75507b}, {"gray", 0x555753},   {"black", 0x000000},
	};
	for (size_t i = 0; i < sizeof(palette) / sizeof(palette[0]); i++) {
		char text[128];
		snprintf(text, sizeof(text), "[domain a]\ncolour = %s\n", palette[i].name);
		EXPECT_OK(text);
		CHECK_EQ_INT(config.domains[0].colour, palette[i].rgb);
	}

	/* Range edges are inclusive; refresh may be an integer. */
	EXPECT_OK("[output]\nwidth = 64\nheight = 16384\nrefresh = 240\n"
		  "[decorations]\nborder_width = 1\nbanner_height = 128\n");
	CHECK_EQ_INT(config.output.width, 64);
	CHECK_EQ_INT(config.output.height, 16384);
	CHECK_EQ_INT(config.output.refresh_mhz, 240000);
	CHECK_EQ_INT(config.border_width, 1);
	CHECK_EQ_INT(config.banner_height, 128);
	EXPECT_OK("[output]\nrefresh = 1\n");
	CHECK_EQ_INT(config.output.refresh_mhz, 1000);
	EXPECT_OK("[output]\nrenderer = gles\n");
	CHECK_EQ_INT(config.output.renderer, TSR_RENDERER_GLES);
	EXPECT_OK("[output]\nrenderer = pixman\n");
	CHECK_EQ_INT(config.output.renderer, TSR_RENDERER_PIXMAN);
	EXPECT_OK("[output]\nrenderer = auto\n");
	CHECK_EQ_INT(config.output.renderer, TSR_RENDERER_AUTO);

	/* KMS: explicit 0 means the preferred mode. */
	EXPECT_OK("[output]\nbackend = kms\nwidth = 0\nheight = 0\n");
	CHECK_EQ_INT(config.output.width, 0);
	CHECK_EQ_INT(config.output.height, 0);

	/* Comments, blank lines, CRLF, indentation, a byte order mark and a
	 * final line without newline are all fine. */
	EXPECT_OK("\xEF\xBB\xBF# comment\r\n"
		  "; another\r\n"
		  "\r\n"
		  "  [domain x]   ; trailing comment\r\n"
		  "\tcolour = red ; why red\r\n"
		  "    label = X\r\n"
		  "[decorations]\n"
		  "border_width = 7");
	CHECK_EQ_INT(config.domain_count, 1);
	CHECK_EQ_INT(config.domains[0].colour, 0xcc0000);
	CHECK(strcmp(config.domains[0].label, "X") == 0);
	CHECK_EQ_INT(config.border_width, 7);
}

static void test_failure_keeps_config(void)
{
	EXPECT_OK("[domain keep]\ncolour = red\n");
	EXPECT_ERROR("[domain other]\ncolour = red\n[output]\nwidth = 1\n",
		     "test.conf:4: width 1 is out of range for the headless backend "
		     "(allowed: 64..16384)");
	CHECK_EQ_INT(config.domain_count, 1);
	CHECK(strcmp(config.domains[0].name, "keep") == 0);

	/* A NULL error buffer is allowed. */
	CHECK(!tsr_config_load_string(&config, "[bogus]\n", "x", NULL, 0));
}

static void test_section_errors(void)
{
	EXPECT_ERROR("\n[outputs]\n",
		     "test.conf:2: unknown section [outputs] (allowed: [output], [output NAME], "
		     "[decorations], [control], [domain NAME], [hotkeys], [gpu_passthrough], "
		     "[input], [lock])");
	EXPECT_ERROR("[output]\nwidth = 1280\n\n[control]\n[output]\n",
		     "test.conf:5: section [output] already appeared at line 1 (allowed: once)");
	EXPECT_ERROR("# c\nwidth = 1280\n",
		     "test.conf:2: key 'width' is outside a section (allowed: keys under "
		     "[output], [output NAME], [decorations], [control], [domain NAME], [hotkeys], "
		     "[gpu_passthrough], [input], [lock])");
	EXPECT_ERROR("[output\n", "test.conf:1: section header has no closing ']' (allowed: "
				  "[output], [domain NAME], ...)");
	EXPECT_ERROR("[output] width = 3\n",
		     "test.conf:1: text after the section header (allowed: a ; or # comment)");
	EXPECT_ERROR("[output]\nwidth 1280\n",
		     "test.conf:2: cannot parse this line (allowed: [section], key = value, ; or "
		     "# comment)");
	EXPECT_ERROR("[domain]\n",
		     "test.conf:1: section [domain] has no domain name (allowed: [domain NAME])");
	EXPECT_ERROR("[domains x]\n",
		     "test.conf:1: unknown section [domains x] (allowed: [output], [output NAME], "
		     "[decorations], [control], [domain NAME], [hotkeys], [gpu_passthrough], "
		     "[input], [lock])");

	/* An over-long line is an error, not two lines. */
	char long_line[400];
	snprintf(long_line, sizeof(long_line), "[control]\nsocket = /%0290d\n", 0);
	EXPECT_ERROR(long_line, "test.conf:2: line is too long (allowed: up to 198 characters)");

	/* NUL bytes cannot be in a C string, but can be in a file. */
	char path[] = "/tmp/tessera-test-config-XXXXXX";
	int fd = mkstemp(path);
	CHECK(fd >= 0);
	if (fd >= 0) {
		FILE *file = fdopen(fd, "w");
		fwrite("[control]\nsocket = a\0b\n", 1, 23, file);
		fclose(file);
		char expected[600];
		snprintf(expected, sizeof(expected),
			 "%s:2: line contains a NUL byte (allowed: text)", path);
		CHECK(!tsr_config_load_file(&config, path, err, sizeof(err)));
		CHECK(strcmp(err, expected) == 0);
		unlink(path);
	}
}

static void test_key_errors(void)
{
	EXPECT_ERROR("[output]\nbackend = headless\ndepth = 24\n",
		     "test.conf:3: unknown key 'depth' in [output] (allowed: backend, width, "
		     "height, refresh, device, renderer)");
	EXPECT_ERROR("[domain work]\ncolour = red\ncolor = blue\n",
		     "test.conf:3: unknown key 'color' in [domain work] (allowed: label, colour, "
		     "transport, socket, input, display)");
	EXPECT_ERROR("[hotkeys]\nfocus_10 = Ctrl+Alt+0\n",
		     "test.conf:2: unknown key 'focus_10' in [hotkeys] (allowed: focus_1, "
		     "focus_2, focus_3, focus_4, focus_5, focus_6, focus_7, focus_8, focus_9, "
		     "next, previous, mosaic, gpu_handoff, lock)");
	EXPECT_ERROR("[decorations]\nborder_width = 2\nbanner_height = 20\nborder_width = 3\n",
		     "test.conf:4: key 'border_width' in [decorations] is already set at line 2 "
		     "(allowed: once per section)");
	/* The same key in two different domains is fine. */
	EXPECT_OK("[domain a]\ncolour = red\n[domain b]\ncolour = red\n");
}

static void test_value_errors(void)
{
	EXPECT_ERROR("[output]\nbackend = x11\n",
		     "test.conf:2: backend: 'x11' is not a backend (allowed: headless, kms)");
	EXPECT_ERROR("[output]\nrenderer = vulkan\n",
		     "test.conf:2: renderer: 'vulkan' is not a renderer (allowed: pixman, gles, "
		     "auto)");
	EXPECT_ERROR("[output]\nwidth = 12a\n",
		     "test.conf:2: width: '12a' is not a whole number (allowed: 0..16384)");
	EXPECT_ERROR("[output]\nwidth = -5\n",
		     "test.conf:2: width: '-5' is not a whole number (allowed: 0..16384)");
	EXPECT_ERROR("[output]\nheight =\n",
		     "test.conf:2: height: '' is not a whole number (allowed: 0..16384)");
	EXPECT_ERROR("[output]\nwidth = 16385\n",
		     "test.conf:2: width: 16385 is out of range (allowed: 0..16384)");
	EXPECT_ERROR("[output]\nwidth = 99999999999999999999999\n",
		     "test.conf:2: width: 99999999999999999999999 is out of range (allowed: "
		     "0..16384)");
	EXPECT_ERROR("[output]\nwidth = 1280\nheight = 63\n",
		     "test.conf:3: height 63 is out of range for the headless backend (allowed: "
		     "64..16384)");
	/* The backend may come after the size: checked at the section's end. */
	EXPECT_ERROR("[output]\nwidth = 0\nbackend = headless\n[control]\n",
		     "test.conf:2: width 0 is out of range for the headless backend (allowed: "
		     "64..16384)");
	EXPECT_ERROR("[output]\nwidth = 32\nheight = 32\nbackend = kms\n",
		     "test.conf:2: width 32 is out of range for the kms backend (allowed: 0 for "
		     "the preferred mode, or 64..16384)");
	EXPECT_ERROR("[output]\nbackend = kms\nheight = 1080\n",
		     "test.conf:3: height is set without width (allowed for kms: both 0 or unset "
		     "for the preferred mode, or both 64..16384)");
	EXPECT_ERROR("[output]\ndevice = /dev/dri/card0\n",
		     "test.conf:2: device is not used by the headless backend (allowed with "
		     "backend = kms)");
	EXPECT_ERROR("[output]\nrefresh = 0.5\n",
		     "test.conf:2: refresh: 0.5 Hz is out of range (allowed: 1..240)");
	EXPECT_ERROR("[output]\nrefresh = 240.5\n",
		     "test.conf:2: refresh: 240.5 Hz is out of range (allowed: 1..240)");
	EXPECT_ERROR("[output]\nrefresh = 60Hz\n",
		     "test.conf:2: refresh: '60Hz' is not a refresh rate in Hz (allowed: 1..240, "
		     "e.g. 60.0)");
	EXPECT_ERROR("[output]\nrefresh = nan\n",
		     "test.conf:2: refresh: 'nan' is not a refresh rate in Hz (allowed: 1..240, "
		     "e.g. 60.0)");
	EXPECT_ERROR("[decorations]\nborder_width = 0\n",
		     "test.conf:2: border_width: 0 is out of range (allowed: 1..64)");
	EXPECT_ERROR("[decorations]\nborder_width = 65\n",
		     "test.conf:2: border_width: 65 is out of range (allowed: 1..64)");
	EXPECT_ERROR("[decorations]\nbanner_height = 15\n",
		     "test.conf:2: banner_height: 15 is out of range (allowed: 16..128)");
	EXPECT_ERROR("[decorations]\nbanner_height = 129\n",
		     "test.conf:2: banner_height: 129 is out of range (allowed: 16..128)");
	EXPECT_ERROR("[decorations]\nbackground = blue\n",
		     "test.conf:2: background: 'blue' is not a colour (allowed: #RRGGBB)");
	EXPECT_ERROR("[decorations]\nbackground = #12345\n",
		     "test.conf:2: background: '#12345' is not a colour (allowed: #RRGGBB)");
	EXPECT_ERROR("[decorations]\nfont =\n",
		     "test.conf:2: font: path has 0 characters (allowed: 1..255)");
	EXPECT_ERROR("[control]\nsocket =\n",
		     "test.conf:2: socket: path has 0 characters (allowed: 1..255)");
	EXPECT_ERROR("[domain a]\ncolour = pink\n",
		     "test.conf:2: colour: 'pink' is not a colour (allowed: #RRGGBB, red, orange, "
		     "yellow, green, blue, purple, gray, black)");
	EXPECT_ERROR("[domain a]\ncolour = #12345g\n",
		     "test.conf:2: colour: '#12345g' is not a colour (allowed: #RRGGBB)");
	EXPECT_ERROR("[domain a]\ncolour = red\ntransport = vchan\n",
		     "test.conf:3: transport: 'vchan' is not a transport (allowed: local, xen)");
	EXPECT_ERROR("[domain a]\ncolour = red\ntransport = xen\nsocket = a.sock\n",
		     "test.conf:4: socket is not used by xen domains (allowed with transport = "
		     "local)");
}

static void test_name_errors(void)
{
	EXPECT_ERROR("[domain abcdefghijklmnopqrstuvwxyz012345]\n",
		     "test.conf:1: domain name 'abcdefghijklmnopqrstuvwxyz012345' has 32 "
		     "characters (allowed: 1..31)");
	EXPECT_OK("[domain abcdefghijklmnopqrstuvwxyz01234]\ncolour = red\n");
	CHECK(strcmp(config.domains[0].name, "abcdefghijklmnopqrstuvwxyz01234") == 0);
	EXPECT_ERROR("[domain a/b]\n", "test.conf:1: domain name 'a/b' contains '/' (allowed: "
				       "letters, digits, _ . -)");
	EXPECT_ERROR("[domain a b]\n", "test.conf:1: domain name 'a b' contains ' ' (allowed: "
				       "letters, digits, _ . -)");
	EXPECT_ERROR("[domain a]\ncolour = red\nlabel = 0123456789abcdef0123456789abcdef\n",
		     "test.conf:3: label: label has 32 characters (allowed: 1..31)");
	EXPECT_ERROR("[domain a]\ncolour = red\nlabel = caf\xc3\xa9\n",
		     "test.conf:3: label: label contains byte 0xc3 (allowed: printable ASCII)");
	EXPECT_ERROR("[domain a]\ncolour = red\nlabel =\n",
		     "test.conf:3: label: label has 0 characters (allowed: 1..31)");
}

static void test_domain_errors(void)
{
	EXPECT_ERROR("[domain work]\ncolour = blue\n\n[domain work]\ncolour = red\n",
		     "test.conf:4: domain 'work' is already defined at line 1 (allowed: one "
		     "section per domain)");
	/* Missing colour: reported at the section header, whether the section
	 * ends at another header or at the end of the file, and for empty
	 * sections too. */
	EXPECT_ERROR("[domain a]\ncolour = red\n[domain b]\nlabel = B\n[output]\n",
		     "test.conf:3: domain 'b' has no colour (allowed: colour = #RRGGBB or a named "
		     "colour)");
	EXPECT_ERROR("[output]\n\n[domain last]\nlabel = L\n",
		     "test.conf:3: domain 'last' has no colour (allowed: colour = #RRGGBB or a "
		     "named colour)");
	EXPECT_ERROR("[domain empty]\n[control]\n",
		     "test.conf:1: domain 'empty' has no colour (allowed: colour = #RRGGBB or a "
		     "named colour)");

	/* display = agent (default) | pv; pv only over xen. */
	EXPECT_OK("[domain a]\ncolour = red\n[domain p]\ncolour = blue\ntransport = xen\n"
		  "display = pv\n[domain q]\ncolour = blue\ndisplay = agent\n");
	CHECK_EQ_INT(config.domains[0].display, TSR_DISPLAY_AGENT);
	CHECK_EQ_INT(config.domains[1].display, TSR_DISPLAY_PV);
	CHECK_EQ_INT(config.domains[2].display, TSR_DISPLAY_AGENT);
	EXPECT_ERROR("[domain p]\ncolour = blue\ndisplay = pv\n",
		     "test.conf:3: display = pv needs transport = xen (the PV display belongs to "
		     "the Xen domain of that name)");
	EXPECT_ERROR("[domain p]\ncolour = blue\ndisplay = vnc\n",
		     "test.conf:3: display: 'vnc' is not a display (allowed: agent, pv)");

	/* TSR_MAX_DOMAINS fit, one more does not. */
	char *text = calloc(1, 64 * (TSR_MAX_DOMAINS + 1));
	CHECK(text != NULL);
	if (!text)
		return;
	size_t used = 0;
	for (unsigned i = 0; i < TSR_MAX_DOMAINS; i++)
		used += (size_t)sprintf(text + used, "[domain d%u]\ncolour = gray\n", i);
	EXPECT_OK(text);
	CHECK_EQ_INT(config.domain_count, TSR_MAX_DOMAINS);
	CHECK_EQ_INT(tsr_config_find_domain(&config, "d31"), 31);
	sprintf(text + used, "[domain extra]\ncolour = gray\n");
	char expected[128];
	snprintf(expected, sizeof(expected), "test.conf:%u: too many domains (allowed: at most %u)",
		 2 * TSR_MAX_DOMAINS + 1, TSR_MAX_DOMAINS);
	EXPECT_ERROR(text, expected);
	free(text);
}

static bool parse_chord(const char *text, struct tsr_hotkey *hotkey)
{
	*hotkey = (struct tsr_hotkey){.action = TSR_ACTION_LOCK, .argument = 7};
	err[0] = '\0';
	return tsr_hotkey_parse_chord(text, hotkey, err, sizeof(err));
}

static void test_chords_good(void)
{
	struct tsr_hotkey h;
	CHECK(parse_chord("Ctrl+Alt+1", &h));
	CHECK(is_ctrl_alt(&h, KEY_1));
	/* The action is left untouched. */
	CHECK_EQ_INT(h.action, TSR_ACTION_LOCK);
	CHECK_EQ_INT(h.argument, 7);

	CHECK(parse_chord("Ctrl+Alt+Right", &h));
	CHECK(is_ctrl_alt(&h, KEY_RIGHT));
	CHECK(parse_chord("Super+M", &h));
	CHECK_EQ_INT(h.modifier_count, 1);
	CHECK_EQ_INT(h.modifiers[0], KEY_LEFTMETA);
	CHECK_EQ_INT(h.key, KEY_M);
	CHECK(parse_chord("Ctrl+F1", &h));
	CHECK_EQ_INT(h.modifier_count, 1);
	CHECK_EQ_INT(h.modifiers[0], KEY_LEFTCTRL);
	CHECK_EQ_INT(h.key, KEY_F1);
	CHECK(parse_chord("Alt+Tab", &h));
	CHECK_EQ_INT(h.key, KEY_TAB);
	CHECK(parse_chord("Ctrl+Shift+Escape", &h));
	CHECK_EQ_INT(h.modifier_count, 2);
	CHECK_EQ_INT(h.modifiers[0], KEY_LEFTCTRL);
	CHECK_EQ_INT(h.modifiers[1], KEY_LEFTSHIFT);
	CHECK_EQ_INT(h.key, KEY_ESC);
	CHECK(parse_chord("Ctrl+Alt+Esc", &h));
	CHECK_EQ_INT(h.key, KEY_ESC);
	CHECK(parse_chord("Ctrl+Alt+Return", &h));
	CHECK_EQ_INT(h.key, KEY_ENTER);

	/* Case-insensitive, spaces around '+', any modifier order; stored in
	 * canonical order Ctrl, Alt, Shift, Super. */
	CHECK(parse_chord(" super + shift + alt + CTRL + pageup ", &h));
	CHECK_EQ_INT(h.modifier_count, 4);
	CHECK_EQ_INT(h.modifiers[0], KEY_LEFTCTRL);
	CHECK_EQ_INT(h.modifiers[1], KEY_LEFTALT);
	CHECK_EQ_INT(h.modifiers[2], KEY_LEFTSHIFT);
	CHECK_EQ_INT(h.modifiers[3], KEY_LEFTMETA);
	CHECK_EQ_INT(h.key, KEY_PAGEUP);
}

#define EXPECT_CHORD_ERROR(text, expected)                                                         \
	do {                                                                                       \
		struct tsr_hotkey h_;                                                              \
		CHECK(!parse_chord(text, &h_));                                                    \
		if (strcmp(err, expected) != 0) {                                                  \
			fprintf(stderr, "%s:%d: got error \"%s\"\n   expected \"%s\"\n", __FILE__, \
				__LINE__, err, expected);                                          \
			tsr_test_failures++;                                                       \
		}                                                                                  \
	} while (0)

static void test_chords_bad(void)
{
	EXPECT_CHORD_ERROR("M", "chord 'M' needs a modifier (allowed: at least one of Ctrl, Alt, "
				"Super, plus optional Shift)");
	EXPECT_CHORD_ERROR("Shift+A", "chord 'Shift+A' needs a modifier (allowed: at least one of "
				      "Ctrl, Alt, Super, plus optional Shift)");
	EXPECT_CHORD_ERROR("Ctrl+Alt", "chord 'Ctrl+Alt' ends in a modifier (allowed: modifiers, "
				       "then exactly one key)");
	EXPECT_CHORD_ERROR("Ctrl+Alt+", "chord 'Ctrl+Alt+' has an empty part (allowed: "
					"Ctrl+Alt+KEY style, modifiers Ctrl, Alt, Shift, Super)");
	EXPECT_CHORD_ERROR("", "chord '' has an empty part (allowed: Ctrl+Alt+KEY style, "
			       "modifiers Ctrl, Alt, Shift, Super)");
	EXPECT_CHORD_ERROR("Ctrl++1", "chord 'Ctrl++1' has an empty part (allowed: Ctrl+Alt+KEY "
				      "style, modifiers Ctrl, Alt, Shift, Super)");
	EXPECT_CHORD_ERROR("Ctrl+Ctrl+1", "chord 'Ctrl+Ctrl+1' names Ctrl twice (allowed: each "
					  "modifier once)");
	EXPECT_CHORD_ERROR("Ctrl+M+1", "'M' in chord 'Ctrl+M+1' is not a modifier (allowed "
				       "before the key: Ctrl, Alt, Shift, Super)");
	EXPECT_CHORD_ERROR("Hyper+1", "'Hyper' in chord 'Hyper+1' is not a modifier (allowed "
				      "before the key: Ctrl, Alt, Shift, Super)");
	EXPECT_CHORD_ERROR("Ctrl+Alt+Foo", "unknown key 'Foo' (allowed: evdev names without KEY_, "
					   "e.g. 1, F1, M, Right, Tab, Escape)");
	EXPECT_CHORD_ERROR("Ctrl+Alt+KEY_1", "unknown key 'KEY_1' (allowed: evdev names without "
					     "KEY_, e.g. 1, F1, M, Right, Tab, Escape)");
	EXPECT_CHORD_ERROR("Ctrl+Alt+Reserved", "unknown key 'Reserved' (allowed: evdev names "
						"without KEY_, e.g. 1, F1, M, Right, Tab, Escape)");
	EXPECT_CHORD_ERROR("Ctrl+Alt+Page Up", "'Page Up' is not a key name (allowed: evdev names "
					       "without KEY_, e.g. 1, F1, M, Right, Tab, Escape)");
	EXPECT_CHORD_ERROR("Ctrl+RightAlt", "'RightAlt' is a modifier key (allowed last key: any "
					    "non-modifier key)");
}

static void test_hotkeys_section(void)
{
	/* Keys named replace just their action; the rest keep the defaults. */
	EXPECT_OK("[hotkeys]\nnext = Super+Tab\nfocus_3 = Ctrl+Alt+F3\nlock = none\n");
	CHECK_EQ_INT(config.hotkey_count, 13);
	const struct tsr_hotkey *next = find_hotkey(&config, TSR_ACTION_FOCUS_NEXT, 0);
	CHECK(next && next->modifier_count == 1 && next->modifiers[0] == KEY_LEFTMETA &&
	      next->key == KEY_TAB);
	CHECK(is_ctrl_alt(find_hotkey(&config, TSR_ACTION_FOCUS_DOMAIN, 3), KEY_F3));
	CHECK(is_ctrl_alt(find_hotkey(&config, TSR_ACTION_FOCUS_DOMAIN, 2), KEY_2));
	CHECK(is_ctrl_alt(find_hotkey(&config, TSR_ACTION_FOCUS_PREV, 0), KEY_LEFT));
	CHECK(find_hotkey(&config, TSR_ACTION_LOCK, 0) == NULL);

	/* Swapping two bindings is fine: conflicts are judged on the result. */
	EXPECT_OK("[hotkeys]\nnext = Ctrl+Alt+Left\nprevious = Ctrl+Alt+Right\n");
	CHECK(is_ctrl_alt(find_hotkey(&config, TSR_ACTION_FOCUS_NEXT, 0), KEY_LEFT));
	CHECK(is_ctrl_alt(find_hotkey(&config, TSR_ACTION_FOCUS_PREV, 0), KEY_RIGHT));
	/* Unbinding one frees its chord for another action. */
	EXPECT_OK("[hotkeys]\nlock = none\nmosaic = Ctrl+Alt+L\n");
	CHECK(is_ctrl_alt(find_hotkey(&config, TSR_ACTION_TOGGLE_MOSAIC, 0), KEY_L));

	EXPECT_ERROR("[hotkeys]\nmosaic = Ctrl+Alt+Tab\n\nlock = Alt+Ctrl+Tab\n",
		     "test.conf:4: lock: chord Ctrl+Alt+Tab is already bound to mosaic at line 2 "
		     "(allowed: one action per chord)");
	EXPECT_ERROR("[hotkeys]\nmosaic = Ctrl+Alt+Right\n",
		     "test.conf:2: mosaic: chord Ctrl+Alt+Right is already bound to next by "
		     "default (allowed: one action per chord; rebind next or set it to none)");
	EXPECT_ERROR("[hotkeys]\nfocus_1 = 1\n",
		     "test.conf:2: focus_1: chord '1' needs a modifier (allowed: at least one of "
		     "Ctrl, Alt, Super, plus optional Shift)");
	EXPECT_ERROR("[hotkeys]\nnext = Ctrl+Alt+Nope\n",
		     "test.conf:2: next: unknown key 'Nope' (allowed: evdev names without KEY_, "
		     "e.g. 1, F1, M, Right, Tab, Escape)");
	EXPECT_ERROR("[hotkeys]\nnext = Super+N\nnext = Super+P\n",
		     "test.conf:3: key 'next' in [hotkeys] is already set at line 2 (allowed: "
		     "once per section)");
}

static void test_input_section(void)
{
	/* Defaults: agent input, repeat after 600 ms at 25 Hz. */
	CHECK(tsr_config_load_string(&config, "[domain a]\ncolour = red\n", "t", err, sizeof(err)));
	CHECK_EQ_INT(config.domains[0].input, TSR_INPUT_AGENT);
	CHECK_EQ_INT(config.input.repeat_delay_ms, 600);
	CHECK_EQ_INT(config.input.repeat_rate, 25);
	CHECK(
	    tsr_config_load_string(&config,
				   "[input]\nrepeat_delay = 250\nrepeat_rate = 0\n"
				   "[domain pvguest]\ncolour = red\ntransport = xen\ninput = pv\n",
				   "t", err, sizeof(err)));
	CHECK_EQ_INT(config.domains[0].input, TSR_INPUT_PV);
	CHECK_EQ_INT(config.input.repeat_delay_ms, 250);
	CHECK_EQ_INT(config.input.repeat_rate, 0);
	EXPECT_ERROR("[domain a]\ncolour = red\ninput = pv\n",
		     "test.conf:3: input = pv needs transport = xen (the PV device belongs to the "
		     "Xen domain of that name)");
	EXPECT_ERROR("[domain a]\ncolour = red\ntransport = xen\ninput = kbd\n",
		     "test.conf:4: input: 'kbd' is not an input (allowed: agent, pv)");
	EXPECT_ERROR("[input]\nrepeat_delay = 50\n",
		     "test.conf:2: repeat_delay: 50 is out of range (allowed: 100..5000)");
	EXPECT_ERROR("[input]\nrepeat_rate = 101\n",
		     "test.conf:2: repeat_rate: 101 is out of range (allowed: 0..100)");
	EXPECT_ERROR("[input]\nrepeat = 1\n",
		     "test.conf:2: unknown key 'repeat' in [input] (allowed: repeat_delay, "
		     "repeat_rate)");
}

static void test_lock_section(void)
{
	/* Off unless configured: no user (the lock is refused), no idle lock. */
	CHECK(tsr_config_load_string(&config, "[domain a]\ncolour = red\n", "t", err, sizeof(err)));
	CHECK_EQ_INT(config.lock.idle_timeout_s, 0);
	CHECK(config.lock.user[0] == '\0');
	CHECK(config.lock.suspend); /* locking before suspend is on by default */
	CHECK(tsr_config_load_string(&config, "[lock]\nuser = alice.b-1\nidle_timeout = 300\n", "t",
				     err, sizeof(err)));
	CHECK(strcmp(config.lock.user, "alice.b-1") == 0);
	CHECK_EQ_INT(config.lock.idle_timeout_s, 300);
	CHECK(config.lock.suspend);
	EXPECT_OK("[lock]\nsuspend = no\n");
	CHECK(!config.lock.suspend);
	EXPECT_OK("[lock]\nsuspend = yes\n");
	CHECK(config.lock.suspend);
	EXPECT_ERROR("[lock]\nsuspend = true\n",
		     "test.conf:2: suspend: 'true' is not yes or no (allowed: yes, no)");
	EXPECT_ERROR("[lock]\nidle_timeout = 86401\n",
		     "test.conf:2: idle_timeout: 86401 is out of range (allowed: 0..86400)");
	EXPECT_ERROR("[lock]\nuser = al ice\n",
		     "test.conf:2: user: user name 'al ice' contains ' ' (allowed: letters, "
		     "digits, _ . -)");
	EXPECT_ERROR("[lock]\nuser = a\nuser = b\n",
		     "test.conf:3: key 'user' in [lock] is already set at line 2 (allowed: once "
		     "per section)");
	EXPECT_ERROR("[lock]\npassword = x\n",
		     "test.conf:2: unknown key 'password' in [lock] (allowed: idle_timeout, user, "
		     "suspend)");
}

static void test_gpu_section(void)
{
	/* Off unless configured, with the documented defaults. */
	EXPECT_OK("[domain work]\ncolour = blue\n");
	CHECK(!config.gpu.enabled);
	CHECK_EQ_INT(config.gpu.step_timeout_s, 10);
	CHECK_EQ_INT(config.gpu.card_timeout_s, 10);
	CHECK_EQ_INT(config.gpu.passthrough_driver, TSR_GPU_DRIVER_PCI_STUB);
	CHECK_EQ_INT(config.gpu.toolstack, TSR_GPU_TOOLSTACK_NONE);

	/* The domain may come after the section; the address is lower-cased. */
	EXPECT_OK("[gpu_passthrough]\ndevice = 0000:0A:1f.7\ndomain = cad\ndrm_driver = "
		  "bochs-drm\npassthrough_driver = xen-pciback\ntoolstack = xl\n"
		  "step_timeout = 5\ncard_timeout = 30\nfallback_device = /dev/dri/card0\n"
		  "[domain cad]\ncolour = red\n");
	CHECK(config.gpu.enabled);
	CHECK(strcmp(config.gpu.device, "0000:0a:1f.7") == 0);
	CHECK(strcmp(config.gpu.domain, "cad") == 0);
	CHECK(strcmp(config.gpu.drm_driver, "bochs-drm") == 0);
	CHECK_EQ_INT(config.gpu.passthrough_driver, TSR_GPU_DRIVER_XEN_PCIBACK);
	CHECK_EQ_INT(config.gpu.toolstack, TSR_GPU_TOOLSTACK_XL);
	CHECK_EQ_INT(config.gpu.step_timeout_s, 5);
	CHECK_EQ_INT(config.gpu.card_timeout_s, 30);
	CHECK(strcmp(config.gpu.fallback_device, "/dev/dri/card0") == 0);

	/* An empty fallback means none. */
	EXPECT_OK("[domain v]\ncolour = red\n[gpu_passthrough]\ndevice = 0000:00:02.0\n"
		  "domain = v\ndrm_driver = i915\npassthrough_driver = vfio-pci\n"
		  "fallback_device =\n");
	CHECK_EQ_INT(config.gpu.passthrough_driver, TSR_GPU_DRIVER_VFIO_PCI);
	CHECK(config.gpu.fallback_device[0] == '\0');
}

static void test_gpu_errors(void)
{
#define GPU_HEAD "[domain v]\ncolour = red\n[gpu_passthrough]\n"
#define GPU_OK_KEYS "device = 0000:00:02.0\ndomain = v\ndrm_driver = i915\n"
	EXPECT_ERROR(GPU_HEAD "device = 00:02.0\n",
		     "test.conf:4: device: '00:02.0' is not a PCI address (allowed: "
		     "DOMAIN:BUS:SLOT.FUNCTION as in lspci -D, e.g. 0000:01:00.0; slot 00..1f, "
		     "function 0..7)");
	EXPECT_ERROR(GPU_HEAD "device = 0000:00:20.0\n",
		     "test.conf:4: device: '0000:00:20.0' is not a PCI address (allowed: "
		     "DOMAIN:BUS:SLOT.FUNCTION as in lspci -D, e.g. 0000:01:00.0; slot 00..1f, "
		     "function 0..7)");
	EXPECT_ERROR(GPU_HEAD "device = 0000:00:02.8\n",
		     "test.conf:4: device: '0000:00:02.8' is not a PCI address (allowed: "
		     "DOMAIN:BUS:SLOT.FUNCTION as in lspci -D, e.g. 0000:01:00.0; slot 00..1f, "
		     "function 0..7)");
	EXPECT_ERROR(GPU_HEAD "device = 0000:00:02.0; rm\n",
		     "test.conf:4: device: '0000:00:02.0; rm' is not a PCI address (allowed: "
		     "DOMAIN:BUS:SLOT.FUNCTION as in lspci -D, e.g. 0000:01:00.0; slot 00..1f, "
		     "function 0..7)");
	EXPECT_ERROR(GPU_HEAD "drm_driver = ../i915\n",
		     "test.conf:4: drm_driver: '../i915' is not a driver name (allowed: 1..31 "
		     "characters of a-z, 0-9, - and _, as in /sys/bus/pci/drivers)");
	EXPECT_ERROR(GPU_HEAD "passthrough_driver = pciback\n",
		     "test.conf:4: passthrough_driver: 'pciback' is not a passthrough driver "
		     "(allowed: pci-stub, vfio-pci, xen-pciback)");
	EXPECT_ERROR(GPU_HEAD "toolstack = libvirt\n",
		     "test.conf:4: toolstack: 'libvirt' is not a toolstack (allowed: xl, none)");
	EXPECT_ERROR(GPU_HEAD "step_timeout = 0\n",
		     "test.conf:4: step_timeout: 0 is out of range (allowed: 1..300)");
	EXPECT_ERROR(GPU_HEAD "card_timeout = 301\n",
		     "test.conf:4: card_timeout: 301 is out of range (allowed: 1..300)");
	EXPECT_ERROR(GPU_HEAD "fallback_device = card0\n",
		     "test.conf:4: fallback_device: 'card0' is not an absolute card path (allowed: "
		     "e.g. /dev/dri/card0, or empty for none)");
	EXPECT_ERROR(GPU_HEAD "device = 0000:00:02.0\n",
		     "test.conf:3: [gpu_passthrough] has no domain (required)");
	EXPECT_ERROR(GPU_HEAD GPU_OK_KEYS "toolstack = xl\n",
		     "test.conf:7: toolstack xl assigns devices through xen-pciback (allowed: "
		     "passthrough_driver = xen-pciback with toolstack = xl)");
	EXPECT_ERROR("[domain v]\ncolour = red\n[gpu_passthrough]\ndevice = 0000:00:02.0\n"
		     "domain = nosuch\ndrm_driver = i915\n",
		     "test.conf:5: domain: 'nosuch' is not a configured domain (allowed: the name "
		     "of a [domain NAME] section)");
	EXPECT_ERROR(GPU_HEAD GPU_OK_KEYS "[gpu_passthrough]\n",
		     "test.conf:7: section [gpu_passthrough] already appeared at line 3 (allowed: "
		     "once)");
	EXPECT_ERROR(
	    GPU_HEAD GPU_OK_KEYS "hotkey = x\n",
	    "test.conf:7: unknown key 'hotkey' in [gpu_passthrough] (allowed: device, "
	    "domain, drm_driver, passthrough_driver, toolstack, step_timeout, card_timeout, "
	    "fallback_device)");
#undef GPU_HEAD
#undef GPU_OK_KEYS
}

static void test_socket_conflicts(void)
{
	/* Two local domains on one socket, spelled differently. */
	EXPECT_ERROR("[domain a]\ncolour = red\nsocket = s/a.sock\n"
		     "[domain b]\ncolour = blue\nsocket = s//./x/../a.sock\n",
		     "test.conf:6: socket: 's//./x/../a.sock' of domain 'b' is already the socket "
		     "of domain 'a' (line 3) (allowed: one socket per domain)");
	/* A default socket (NAME.sock) is blamed on the section header. */
	EXPECT_ERROR("[domain a]\ncolour = red\n[domain b]\ncolour = blue\nsocket = ./a.sock\n",
		     "test.conf:5: socket: './a.sock' of domain 'b' is already the socket of "
		     "domain 'a' (line 1) (allowed: one socket per domain)");
	EXPECT_ERROR("[domain a]\ncolour = red\nsocket = /run/t/a.sock\n"
		     "[domain b]\ncolour = blue\nsocket = /run/t/a.sock/\n",
		     "test.conf:6: socket: '/run/t/a.sock/' of domain 'b' is already the socket of "
		     "domain 'a' (line 3) (allowed: one socket per domain)");
	/* A domain on the default control socket, and on a configured one. */
	EXPECT_ERROR("[domain control]\ncolour = red\n",
		     "test.conf:1: socket: 'control.sock' of domain 'control' is the control "
		     "socket ('control.sock', the default) (allowed: a path of its own)");
	EXPECT_ERROR(
	    "[control]\nsocket = ctl.sock\n[domain a]\ncolour = red\nsocket = ./ctl.sock\n",
	    "test.conf:5: socket: './ctl.sock' of domain 'a' is the control socket "
	    "('ctl.sock', set in [control]) (allowed: a path of its own)");
	EXPECT_ERROR("[domain a]\ncolour = red\n[control]\nsocket = a.sock\n",
		     "test.conf:4: socket: 'a.sock' is also the socket of domain 'a' (line 1) "
		     "(allowed: a path no domain uses)");
	/* Different paths, and xen domains (no socket), are fine. */
	EXPECT_OK("[domain a]\ncolour = red\nsocket = a.sock\n"
		  "[domain b]\ncolour = blue\nsocket = sub/a.sock\n"
		  "[domain x]\ncolour = green\ntransport = xen\n"
		  "[domain y]\ncolour = green\ntransport = xen\n");
	/* Relative against absolute: only known with the runtime directory. */
	EXPECT_OK("[control]\nsocket = /run/t/a.sock\n[domain a]\ncolour = red\n");
	char check_err[1024] = "";
	CHECK(tsr_config_check_sockets(&config, "/run/other", check_err, sizeof(check_err)));
	CHECK(!tsr_config_check_sockets(&config, "/run//t/", check_err, sizeof(check_err)));
	const char *expected = "test.conf:3: socket: 'a.sock' of domain 'a' is the control socket "
			       "('/run/t/a.sock', set in [control]) (allowed: a path of its own)";
	if (strcmp(check_err, expected) != 0)
		fprintf(stderr, "check_sockets: got \"%s\"\n", check_err);
	CHECK(strcmp(check_err, expected) == 0);
}

static void test_bounded_reading(void)
{
	/* Used to never return: the line cap was checked only at a newline. */
	struct tsr_config c;
	char file_err[512] = "";
	CHECK(!tsr_config_load_file(&c, "/dev/zero", file_err, sizeof(file_err)));
	CHECK(strcmp(file_err, "/dev/zero:1: line is too long (allowed: up to 198 characters)") ==
	      0);

	/* More than 1 MiB of valid lines. */
	char path[] = "/tmp/tessera-config-XXXXXX";
	int fd = mkstemp(path);
	CHECK(fd >= 0);
	FILE *file = fdopen(fd, "w");
	CHECK(file != NULL);
	if (!file)
		return;
	char line[101];
	memset(line, 'x', sizeof(line) - 1);
	line[0] = '#';
	line[sizeof(line) - 2] = '\n';
	line[sizeof(line) - 1] = '\0';
	for (int i = 0; i < 11000; i++) /* 100 bytes each */
		fputs(line, file);
	fclose(file);
	CHECK(!tsr_config_load_file(&c, path, file_err, sizeof(file_err)));
	char expected[600];
	snprintf(expected, sizeof(expected),
		 "%s:10486: the file is larger than 1048576 bytes (allowed: a configuration up "
		 "to 1 MiB)",
		 path);
	if (strcmp(file_err, expected) != 0)
		fprintf(stderr, "got \"%s\"\n", file_err);
	CHECK(strcmp(file_err, expected) == 0);
	unlink(path);
}

static void test_output_sections(void)
{
	/* Without [output NAME] sections: one output, as always. */
	EXPECT_OK("[output]\nwidth = 800\nheight = 600\n");
	CHECK_EQ_INT(config.output.head_count, 0);

	EXPECT_OK("[output left]\nposition = 0,0\nmode = 1024x768\nscale = 2\n"
		  "[output]\nbackend = headless\n"
		  "[output HDMI-A-1]\n"
		  "[output right]\nposition = 1024,100\n");
	CHECK_EQ_INT(config.output.head_count, 3);
	const struct tsr_output_head_config *left = tsr_config_find_head(&config.output, "left");
	CHECK(left != NULL);
	if (left) {
		CHECK(left->positioned);
		CHECK_EQ_INT(left->x, 0);
		CHECK_EQ_INT(left->y, 0);
		CHECK_EQ_INT(left->width, 1024);
		CHECK_EQ_INT(left->height, 768);
		CHECK_EQ_INT(left->scale, 2);
		CHECK_EQ_INT(left->line, 1);
	}
	const struct tsr_output_head_config *hdmi =
	    tsr_config_find_head(&config.output, "HDMI-A-1");
	CHECK(hdmi != NULL);
	if (hdmi) {
		CHECK(!hdmi->positioned);
		CHECK_EQ_INT(hdmi->width, 0);
		CHECK_EQ_INT(hdmi->scale, 1);
	}
	const struct tsr_output_head_config *right = tsr_config_find_head(&config.output, "right");
	CHECK(right && right->x == 1024 && right->y == 100);
	CHECK(tsr_config_find_head(&config.output, "nope") == NULL);
	/* Side by side, touching, is no overlap; "[output ]" is the plain one. */
	EXPECT_OK("[output a]\nposition = 0,0\n[output b]\nposition = 1280,0\n[output ]\n");
	CHECK_EQ_INT(config.output.head_count, 2);
	/* KMS outputs without a mode cannot be checked here. */
	EXPECT_OK("[output]\nbackend = kms\n[output a]\nposition = 0,0\n"
		  "[output b]\nposition = 10,10\n");
}

static void test_output_section_errors(void)
{
	EXPECT_ERROR("[output a]\n[domain x]\ncolour = red\n[output a]\n",
		     "test.conf:4: output 'a' is already defined at line 1 (allowed: one section "
		     "per output)");
	EXPECT_ERROR("[output a/b]\n",
		     "test.conf:1: output name 'a/b' is not allowed (allowed: 1..31 characters of "
		     "letters, digits, _ . -, e.g. HDMI-A-1)");
	EXPECT_ERROR("[output a]\n[output b]\n[output c]\n[output d]\n[output e]\n",
		     "test.conf:5: too many [output NAME] sections (allowed: at most 4)");
	EXPECT_ERROR("[output a]\nscale = 5\n", "test.conf:2: scale: 5 is out of range (allowed: "
						"1..4)");
	EXPECT_ERROR("[output a]\nscale = 0\n", "test.conf:2: scale: 0 is out of range (allowed: "
						"1..4)");
	EXPECT_ERROR("[output a]\nscale = 1.5\n",
		     "test.conf:2: scale: '1.5' is not a whole number (allowed: 1..4)");
	EXPECT_ERROR("[output a]\nposition = 10\n",
		     "test.conf:2: position: '10' is not a position (allowed: X,Y, e.g. 1920,0)");
	EXPECT_ERROR("[output a]\nposition = -1,0\n",
		     "test.conf:2: position: '-1,0' is not a position (allowed: X,Y with each "
		     "0..65536, e.g. 1920,0)");
	EXPECT_ERROR("[output a]\nposition = 0,70000\n",
		     "test.conf:2: position: '0,70000' is not a position (allowed: X,Y with each "
		     "0..65536, e.g. 1920,0)");
	EXPECT_ERROR("[output a]\nmode = 1920\n",
		     "test.conf:2: mode: '1920' is not a mode (allowed: WIDTHxHEIGHT with each "
		     "64..16384, e.g. 1920x1080)");
	EXPECT_ERROR("[output a]\nmode = 32x32\n",
		     "test.conf:2: mode: '32x32' is not a mode (allowed: WIDTHxHEIGHT with each "
		     "64..16384, e.g. 1920x1080)");
	EXPECT_ERROR("[output a]\nwidth = 800\n",
		     "test.conf:2: unknown key 'width' in [output a] (allowed: position, mode, "
		     "scale)");
	EXPECT_ERROR("[output a]\nscale = 1\nscale = 2\n",
		     "test.conf:3: key 'scale' in [output a] is already set at line 2 (allowed: "
		     "once per section)");
	/* Overlaps: headless sizes come from [output] (which may come later)
	 * or the mode; the later section's position is blamed. */
	EXPECT_ERROR("[output a]\nposition = 0,0\n[output b]\n\nposition = 1279,799\n"
		     "[output]\nwidth = 1280\nheight = 800\n",
		     "test.conf:5: position: output 'b' at 1279,799 (1280x800) overlaps output 'a' "
		     "at 0,0 (1280x800) from line 1 (allowed: outputs next to each other, not on "
		     "top of each other)");
	EXPECT_ERROR("[output]\nbackend = kms\n[output a]\nposition = 0,0\nmode = 800x600\n"
		     "[output b]\nmode = 640x480\nposition = 700,500\n",
		     "test.conf:8: position: output 'b' at 700,500 (640x480) overlaps output 'a' "
		     "at 0,0 (800x600) from line 3 (allowed: outputs next to each other, not on "
		     "top of each other)");
}

static void test_several_cards(void)
{
	char paths[TSR_MAX_CARDS][TSR_PATH_MAX];
	EXPECT_OK("[output]\nbackend = kms\ndevice = /dev/dri/card0,/dev/dri/card1\n");
	CHECK_EQ_INT(tsr_config_split_devices(config.output.device, paths), 2);
	CHECK(strcmp(paths[0], "/dev/dri/card0") == 0 && strcmp(paths[1], "/dev/dri/card1") == 0);
	EXPECT_OK("[output]\nbackend = kms\ndevice = all\n");
	CHECK_EQ_INT(tsr_config_split_devices(config.output.device, paths), 0);
	CHECK_EQ_INT(tsr_config_split_devices("", paths), 0);
	CHECK_EQ_INT(tsr_config_split_devices("/dev/dri/card3", paths), 1);
	CHECK(strcmp(paths[0], "/dev/dri/card3") == 0);
	EXPECT_ERROR("[output]\nbackend = kms\ndevice = /dev/dri/card0,,/dev/dri/card1\n",
		     "test.conf:3: device: '/dev/dri/card0,,/dev/dri/card1' has an entry that is "
		     "not an absolute path (allowed: PATH, PATH,PATH,... of at most 4 cards, or "
		     "all)");
	EXPECT_ERROR("[output]\ndevice = /dev/dri/card0,card1\nbackend = kms\n",
		     "test.conf:2: device: '/dev/dri/card0,card1' has an entry that is not an "
		     "absolute path (allowed: PATH, PATH,PATH,... of at most 4 cards, or all)");
	EXPECT_ERROR("[output]\nbackend = kms\ndevice = /a,/b,/c,/d,/e\n",
		     "test.conf:3: device: more than 4 cards (allowed: at most 4)");
	EXPECT_ERROR("[output]\nbackend = kms\ndevice = /a,/b,/a\n",
		     "test.conf:3: device: /a is listed twice (allowed: each card once)");
	EXPECT_ERROR("[output]\nbackend = kms\ndevice = /a,/b\n"
		     "[domain v]\ncolour = red\n[gpu_passthrough]\ndevice = 0000:00:02.0\n"
		     "domain = v\ndrm_driver = bochs-drm\n",
		     "test.conf:3: device: several cards cannot be used with [gpu_passthrough] "
		     "(allowed: one card path, or unset)");
	/* headless never takes a device, list or not. */
	CHECK(!load("[output]\ndevice = /a,/b\n"));
}

TSR_TEST_MAIN(TSR_CASE(test_defaults), TSR_CASE(test_example_file), TSR_CASE(test_example_xen_file),
	      TSR_CASE(test_missing_file), TSR_CASE(test_values),
	      TSR_CASE(test_failure_keeps_config), TSR_CASE(test_section_errors),
	      TSR_CASE(test_key_errors), TSR_CASE(test_value_errors), TSR_CASE(test_name_errors),
	      TSR_CASE(test_domain_errors), TSR_CASE(test_chords_good), TSR_CASE(test_chords_bad),
	      TSR_CASE(test_hotkeys_section), TSR_CASE(test_gpu_section), TSR_CASE(test_gpu_errors),
	      TSR_CASE(test_socket_conflicts), TSR_CASE(test_bounded_reading),
	      TSR_CASE(test_input_section), TSR_CASE(test_lock_section),
	      TSR_CASE(test_output_sections), TSR_CASE(test_output_section_errors),
	      TSR_CASE(test_several_cards))
