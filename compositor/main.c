/* tessera: the trusted compositor. Without --config it runs the demo on
 * its embedded default configuration (headless, three demo guests) and
 * writes screenshots. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/control.h"
#include "core/demo.h"
#include "core/domain.h"
#include "core/gpu_policy.h"
#include "core/input_policy.h"
#include "core/lock.h"
#include "core/server.h"
#include "core/suspend_lock.h"
#include "default_config.h"
#include "render/renderer_select.h"
#include "tessera/config.h"
#include "tessera/event_loop.h"
#include "tessera/input.h"
#include "tessera/log.h"
#include "tessera/output.h"
#include "transport/local_transport.h"
#include "util/privilege.h"
#include "util/sandbox.h"
#ifdef TSR_HAVE_XEN
#include "transport/displif_transport.h"
#include "transport/kbdif_backend.h"
#include "transport/xen_transport.h"
#endif

struct options {
	const char *config_path;
	const char *check_config_path; /* --check-config: validate and exit */
	const char *runtime_dir;
	const char *screenshot_dir;
	const char *agent_path;
	const char *backend;
	const char *input_device;
	int input; /* -1: default (on for kms, off for headless), 0 off, 1 on */
	bool allow_ungrabbed;
	bool demo;
	const char *user; /* drop to this user after start-up */
	bool sandbox;	  /* the seccomp filter after start-up */
};

static void usage(FILE *out)
{
	fprintf(
	    out,
	    "usage: tessera [--config FILE] [options]\n"
	    "       tessera --check-config FILE [--runtime-dir DIR]\n"
	    "  --config FILE       configuration (default: the embedded demo configuration,\n"
	    "                      which also turns on --demo)\n"
	    "  --check-config FILE validate FILE (the same strict parser, and no two sockets\n"
	    "                      on one path) and exit: 0 and a one-line summary, or 2\n"
	    "                      and FILE:LINE: what is wrong\n"
	    "  --demo DIR          start demo agents, walk through the layouts, write\n"
	    "                      screenshots to DIR and exit (default DIR: tessera-screenshots)\n"
	    "  --runtime-dir DIR   where relative sockets live (default: a new /tmp/tessera-*)\n"
	    "  --backend NAME      headless or kms, overriding the configuration\n"
	    "  --agent PATH        the tessera-agent binary the demo starts\n"
	    "  --input, --no-input read keyboards and pointers through evdev (default: on\n"
	    "                      with kms, off with headless)\n"
	    "  --input-device NAME use only the evdev device with this name (tests)\n"
	    "  --allow-ungrabbed   go on when a device cannot be grabbed (EVIOCGRAB);\n"
	    "                      other dom0 processes could then read its keys\n"
	    "  --user NAME         once devices and sockets are open, become this\n"
	    "                      unprivileged user for good (no capabilities left)\n"
	    "  --no-sandbox        do not confine tessera with its seccomp filter\n"
	    "                      (on by default once start-up is done)\n"
	    "  --help\n"
	    "Exit status: 0 after a clean exit (quit, SIGINT/SIGTERM, a finished demo) or a\n"
	    "valid --check-config; 1 when starting or running failed (or the demo failed);\n"
	    "2 for bad options or a configuration error.\n"
	    "Control the running compositor with tessera-ctl (see README.md).\n");
}

static bool parse_options(int argc, char **argv, struct options *options)
{
	static const struct option long_options[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"check-config", required_argument, NULL, 'C'},
	    {"demo", required_argument, NULL, 'd'},
	    {"runtime-dir", required_argument, NULL, 'r'},
	    {"backend", required_argument, NULL, 'b'},
	    {"agent", required_argument, NULL, 'a'},
	    {"input", no_argument, NULL, 'i'},
	    {"no-input", no_argument, NULL, 'n'},
	    {"input-device", required_argument, NULL, 'D'},
	    {"allow-ungrabbed", no_argument, NULL, 'u'},
	    {"user", required_argument, NULL, 'U'},
	    {"no-sandbox", no_argument, NULL, 'S'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	int opt;
	while ((opt = getopt_long(argc, argv, "", long_options, NULL)) != -1) {
		switch (opt) {
		case 'c':
			options->config_path = optarg;
			break;
		case 'C':
			options->check_config_path = optarg;
			break;
		case 'd':
			options->demo = true;
			options->screenshot_dir = optarg;
			break;
		case 'r':
			options->runtime_dir = optarg;
			break;
		case 'b':
			options->backend = optarg;
			break;
		case 'a':
			options->agent_path = optarg;
			break;
		case 'i':
			options->input = 1;
			break;
		case 'n':
			options->input = 0;
			break;
		case 'D':
			options->input_device = optarg;
			options->input = 1;
			break;
		case 'u':
			options->allow_ungrabbed = true;
			break;
		case 'U':
			options->user = optarg;
			break;
		case 'S':
			options->sandbox = false;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return false;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "tessera: unexpected argument '%s'\n", argv[optind]);
		return false;
	}
	if (options->check_config_path) {
		if (options->config_path || options->demo) {
			fprintf(stderr, "tessera: --check-config takes the file itself; not with "
					"--config or --demo\n");
			return false;
		}
		return true;
	}
	if (!options->config_path) {
		options->demo = true;
		if (!options->screenshot_dir)
			options->screenshot_dir = "tessera-screenshots";
	}
	return true;
}

static bool load_config(const struct options *options, struct tsr_config *config)
{
	char err[512];
	const char *path =
	    options->check_config_path ? options->check_config_path : options->config_path;
	bool ok = path ? tsr_config_load_file(config, path, err, sizeof(err))
		       : tsr_config_load_string(config, tsr_default_config_text,
						"<embedded data/tessera.conf>", err, sizeof(err));
	if (!ok) {
		fprintf(stderr, "tessera: %s\n", err);
		return false;
	}
	if (options->backend) {
		if (strcmp(options->backend, "headless") == 0) {
			config->output.backend = TSR_BACKEND_HEADLESS;
			if (!config->output.width || !config->output.height) {
				config->output.width = 1280;
				config->output.height = 800;
			}
		} else if (strcmp(options->backend, "kms") == 0) {
			config->output.backend = TSR_BACKEND_KMS;
		} else {
			fprintf(stderr, "tessera: --backend must be headless or kms, not '%s'\n",
				options->backend);
			return false;
		}
	}
	return true;
}

/* --check-config: the parser's own checks, the --backend override, and the
 * socket conflicts (with --runtime-dir, relative and absolute paths are
 * compared too). */
static int check_config(const struct options *options, struct tsr_config *config)
{
	char err[1024];
	if (!load_config(options, config))
		return 2;
	if (options->runtime_dir &&
	    !tsr_config_check_sockets(config, options->runtime_dir, err, sizeof(err))) {
		fprintf(stderr, "tessera: %s\n", err);
		return 2;
	}
	char names[TSR_MAX_DOMAINS * (TSR_NAME_MAX + 2)] = "";
	size_t used = 0;
	for (size_t i = 0; i < config->domain_count; i++) {
		int n = snprintf(names + used, sizeof(names) - used, "%s%s", i ? ", " : "",
				 config->domains[i].name);
		if (n > 0 && (size_t)n < sizeof(names) - used)
			used += (size_t)n;
	}
	printf(
	    "%s: ok: %zu domain%s%s%s%s, %s output, control socket %s\n",
	    options->check_config_path, config->domain_count, config->domain_count == 1 ? "" : "s",
	    config->domain_count ? " (" : "", names, config->domain_count ? ")" : "",
	    config->output.backend == TSR_BACKEND_KMS ? "kms" : "headless", config->control_socket);
	return 0;
}

/* The renderer chosen on the first KMS card's render device (KMS with
 * renderer = gles|auto, tsr_renderer_select_waits_for_device): the backend
 * offers the device before it creates the card's outputs, so their buffers
 * can be the renderer's own. Later cards, and the first one if it comes
 * back after a hot-unplug, keep dumb buffers. */
struct renderer_pick {
	struct tsr_server *server;
	const struct tsr_output_config *output;
	bool done;
};

static bool pick_renderer_on_device(void *data, struct tsr_render_device *device)
{
	struct renderer_pick *pick = data;
	if (pick->done)
		return false;
	pick->done = true;
	bool direct = false;
	struct tsr_renderer *renderer =
	    tsr_renderer_select_on_device(pick->output, device, &direct);
	if (!renderer)
		return false; /* out of memory: the server keeps its pixman */
	tsr_server_set_renderer(pick->server, renderer);
	return direct;
}

static void pick_output_added(void *data, struct tsr_output *output)
{
	struct renderer_pick *pick = data;
	tsr_server_add_output(pick->server, output);
}

static void handle_stop_signal(int signal_number, void *data)
{
	tsr_log(TSR_LOG_INFO, "signal %d: shutting down", signal_number);
	tsr_server_stop(data);
}

static void print_summary(struct tsr_server *server)
{
	struct tsr_server_stats stats = tsr_server_get_stats(server);
	printf("frames presented: %llu\n", (unsigned long long)stats.frames);
	if (tsr_server_output_count(server) > 0 && stats.frames > 0) {
		struct tsr_output *output = tsr_server_output(server, 0)->output;
		double full = (double)output->width * output->height * (double)stats.frames;
		printf("pixels redrawn: %.1f%% of %llu full frames (damage tracking)\n",
		       100.0 * (double)stats.pixels_drawn / full, (unsigned long long)stats.frames);
	}
	for (size_t i = 0; i < tsr_server_domain_count(server); i++) {
		struct tsr_domain *domain = tsr_server_domain(server, i);
		const struct tsr_domain_stats *counts = tsr_domain_stats(domain);
		printf("domain %-10s commits %6llu  frames done %6llu  violations %llu\n",
		       tsr_domain_config(domain)->name, (unsigned long long)counts->commits,
		       (unsigned long long)counts->frames_done,
		       (unsigned long long)counts->violations);
	}
}

int main(int argc, char **argv)
{
	struct options options = {.input = -1, .sandbox = true};
	if (!parse_options(argc, argv, &options))
		return 2;
	struct tsr_config *config = calloc(1, sizeof(*config));
	if (!config) {
		fprintf(stderr, "tessera: out of memory\n");
		return 1;
	}
	if (options.check_config_path) {
		int status = check_config(&options, config);
		free(config);
		return status;
	}
	if (!load_config(&options, config)) {
		free(config); /* exit status 2 holds under LeakSanitizer too */
		return 2;
	}

	int exit_code = 1;
	char err[1024], runtime_template[] = "/tmp/tessera-XXXXXX";
	const char *runtime_dir = options.runtime_dir;
	bool own_runtime_dir = false;
	struct tsr_event_loop *loop = NULL;
	struct tsr_server *server = NULL;
	struct tsr_backend *backend = NULL;
	struct tsr_local_transport *transport = NULL;
#ifdef TSR_HAVE_XEN
	struct tsr_xen_transport *xen_transport = NULL;
	struct tsr_kbdif_backend *kbdif = NULL;
	struct tsr_displif_transport *displif_transport = NULL;
#endif
	struct tsr_control *control = NULL;
	struct tsr_demo *demo = NULL;
	struct tsr_event_source *sigint = NULL, *sigterm = NULL;
	struct tsr_seat *seat = NULL;
	struct tsr_input_devices *input_devices = NULL;
	struct tsr_gpu_policy *gpu = NULL;
	struct tsr_lock *lock = NULL;
	struct tsr_suspend_lock *suspend_lock = NULL;

	uid_t user_uid = 0;
	gid_t user_gid = 0;
	if (options.user &&
	    !tsr_privilege_resolve(options.user, &user_uid, &user_gid, err, sizeof(err))) {
		fprintf(stderr, "tessera: %s\n", err);
		exit_code = 2;
		goto out;
	}
	if (!runtime_dir) {
		runtime_dir = mkdtemp(runtime_template);
		if (!runtime_dir) {
			fprintf(stderr, "tessera: cannot create a runtime directory: %s\n",
				strerror(errno));
			goto out;
		}
		own_runtime_dir = true;
		/* The user tessera becomes must still be able to remove its
		 * sockets at exit. */
		if (options.user && chown(runtime_dir, user_uid, user_gid) != 0) {
			fprintf(stderr, "tessera: cannot hand %s to %s: %s\n", runtime_dir,
				options.user, strerror(errno));
			goto out;
		}
	}
	/* Now relative socket paths can be compared with absolute ones. */
	if (!tsr_config_check_sockets(config, runtime_dir, err, sizeof(err))) {
		fprintf(stderr, "tessera: %s\n", err);
		exit_code = 2;
		goto out;
	}
	signal(SIGPIPE, SIG_IGN);
	loop = tsr_event_loop_create();
	if (!loop)
		goto out;
	server = tsr_server_create(loop, config, err, sizeof(err));
	if (!server) {
		fprintf(stderr, "tessera: %s\n", err);
		goto out;
	}
	/* The server starts with pixman; [output] renderer may replace it
	 * before any output exists (and before the sandbox: EGL opens and
	 * maps what it needs now): here, or on KMS with GBM when the first
	 * card is open (pick_renderer_on_device). */
	struct renderer_pick pick = {.server = server, .output = &config->output};
	bool pick_on_card =
	    !config->gpu.enabled && tsr_renderer_select_waits_for_device(&config->output);
	if (!pick_on_card) {
		struct tsr_renderer *renderer = tsr_renderer_select(&config->output);
		if (!renderer)
			goto out;
		tsr_server_set_renderer(server, renderer);
	}
	sigint = tsr_event_loop_add_signal(loop, SIGINT, handle_stop_signal, server);
	sigterm = tsr_event_loop_add_signal(loop, SIGTERM, handle_stop_signal, server);
	if (!sigint || !sigterm)
		goto out;

	struct tsr_backend_listener listener = {.output_added = tsr_server_add_output,
						.data = server};
	if (pick_on_card)
		listener = (struct tsr_backend_listener){.output_added = pick_output_added,
							 .render_device = pick_renderer_on_device,
							 .data = &pick};
	if (config->gpu.enabled && config->output.backend == TSR_BACKEND_KMS) {
		/* The GPU policy owns the KMS backends: the GPU's card, and the
		 * fallback card while the GPU is handed to a domain. */
		gpu = tsr_gpu_policy_create(server, NULL, err, sizeof(err));
		if (!gpu || !tsr_gpu_policy_start(gpu, err, sizeof(err))) {
			fprintf(stderr, "tessera: gpu passthrough: %s\n", err);
			goto out;
		}
		const struct tsr_server_gpu_hooks hooks = {.handoff = tsr_gpu_policy_toggle,
							   .command = tsr_gpu_policy_control,
							   .lock = tsr_gpu_policy_lock,
							   .data = gpu};
		tsr_server_set_gpu_hooks(server, &hooks);
	} else if (config->gpu.enabled) {
		tsr_log(TSR_LOG_WARN, "[gpu_passthrough] needs [output] backend = kms; ignored");
	}
	if (!gpu) {
		/* KMS: one card or several, followed through hotplug either way. */
		if (config->output.backend != TSR_BACKEND_KMS)
			backend = tsr_backend_headless_create(loop, &config->output, &listener);
		else
			backend = tsr_backend_kms_cards_create(loop, &config->output, &listener);
	}
	tsr_server_set_backend(server, backend); /* the headless test-hotplug command only */
	if (!gpu && (!backend || !backend->impl->start(backend))) {
		fprintf(stderr, "tessera: cannot start the %s backend (see the log above)\n",
			config->output.backend == TSR_BACKEND_KMS ? "kms" : "headless");
		goto out;
	}
	bool want_input = options.input == 1 ||
			  (options.input == -1 && config->output.backend == TSR_BACKEND_KMS);
	seat = tsr_input_policy_create_seat(server);
	if (!seat) {
		fprintf(stderr, "tessera: cannot create the seat\n");
		goto out;
	}
	/* Before any guest connects: a Tessera stopped while locked comes
	 * back locked. The helper starts here, while still privileged. */
	struct tsr_lock_options lock_options = {.runtime_dir = runtime_dir,
						.owner_set = options.user != NULL,
						.owner_uid = user_uid,
						.owner_gid = user_gid};
#ifdef TSR_TEST_HOOKS
	lock_options.pam_confdir = getenv("TESSERA_TEST_PAM_CONFDIR");
#endif
	lock = tsr_lock_create(server, &lock_options, err, sizeof(err));
	if (!lock) {
		fprintf(stderr, "tessera: %s\n", err);
		goto out;
	}
	/* Connected to the system bus while still privileged: the bus knows
	 * the connection by the credentials it had when it connected. NULL
	 * (logged) is not an error: Tessera runs without it. */
	suspend_lock = tsr_suspend_lock_create(server);
	if (want_input) {
		struct tsr_input_devices_options input_options = {
		    .require_grab = !options.allow_ungrabbed,
		    .only_name = options.input_device,
		};
		input_devices = tsr_input_devices_create(loop, seat, &input_options);
		if (!input_devices) {
			fprintf(stderr, "tessera: input devices failed (see the log above; "
					"--allow-ungrabbed or --no-input to go on without)\n");
			goto out;
		}
	}
	transport = tsr_local_transport_create(loop, tsr_server_guests(server), runtime_dir, err,
					       sizeof(err));
	if (!transport) {
		fprintf(stderr, "tessera: %s\n", err);
		goto out;
	}
#ifdef TSR_HAVE_XEN
	xen_transport = tsr_xen_transport_create(loop, tsr_server_guests(server), err, sizeof(err));
	if (!xen_transport) {
		fprintf(stderr, "tessera: %s\n", err);
		goto out;
	}
	/* Watching before any `xl create`: libxl waits for the backend. */
	kbdif = tsr_kbdif_backend_create(loop, tsr_server_guests(server), err, sizeof(err));
	if (!kbdif) {
		fprintf(stderr, "tessera: kbdif: %s\n", err);
		goto out;
	}
	displif_transport =
	    tsr_displif_transport_create(loop, tsr_server_guests(server), err, sizeof(err));
	if (!displif_transport) {
		fprintf(stderr, "tessera: displif: %s\n", err);
		goto out;
	}
#else
	for (size_t i = 0; i < config->domain_count; i++) {
		if (config->domains[i].transport == TSR_TRANSPORT_XEN) {
			fprintf(stderr,
				"tessera: domain %s uses transport = xen, but this build "
				"has no Xen support (meson -Dxen=enabled)\n",
				config->domains[i].name);
			goto out;
		}
	}
#endif
	char control_path[TSR_PATH_MAX + 256];
	if (!tsr_resolve_runtime_path(runtime_dir, config->control_socket, control_path,
				      sizeof(control_path))) {
		fprintf(stderr, "tessera: control socket path too long\n");
		goto out;
	}
	control = tsr_control_create(server, control_path, err, sizeof(err));
	if (!control) {
		fprintf(stderr, "tessera: %s\n", err);
		goto out;
	}
	if (options.demo) {
		struct tsr_demo_options demo_options = {
		    .agent_path = options.agent_path,
		    .runtime_dir = runtime_dir,
		    .screenshot_dir = options.screenshot_dir,
		};
		demo = tsr_demo_create(server, &demo_options, err, sizeof(err));
		if (!demo) {
			fprintf(stderr, "tessera: demo: %s\n", err);
			goto out;
		}
	}

	/* Start-up is done: every device, socket and child (the GPU broker,
	 * demo agents) tessera needs is open. From here on it runs as the
	 * unprivileged user and confined. */
	if (options.user) {
		if (!tsr_privilege_drop(options.user, user_uid, user_gid, err, sizeof(err))) {
			fprintf(stderr, "tessera: dropping privileges: %s\n", err);
			goto out;
		}
		tsr_log(TSR_LOG_INFO, "running as %s (uid %u, gid %u), no capabilities",
			options.user, (unsigned)user_uid, (unsigned)user_gid);
	}
	if (options.sandbox) {
		if (!tsr_sandbox_apply(err, sizeof(err))) {
			fprintf(stderr, "tessera: %s (--no-sandbox to run without)\n", err);
			goto out;
		}
		tsr_log(TSR_LOG_INFO, "confined by the seccomp filter");
	}

	while (tsr_server_running(server))
		if (!tsr_event_loop_dispatch(loop, -1))
			break;

	exit_code = 0;
	if (demo) {
		bool success = false;
		if (!tsr_demo_finished(demo, &success) || !success)
			exit_code = 1;
		print_summary(server);
		printf("demo %s; screenshots in %s\n", exit_code == 0 ? "finished" : "FAILED",
		       options.screenshot_dir);
	}
out:
	tsr_demo_destroy(demo);
	tsr_input_devices_destroy(input_devices);
	tsr_control_destroy(control);
	tsr_local_transport_destroy(transport);
#ifdef TSR_HAVE_XEN
	tsr_kbdif_backend_destroy(kbdif);
	tsr_displif_transport_destroy(displif_transport);
	tsr_xen_transport_destroy(xen_transport);
#endif
	tsr_backend_destroy(backend);
	tsr_gpu_policy_destroy(gpu);
	tsr_suspend_lock_destroy(suspend_lock);
	tsr_lock_destroy(lock);
	tsr_server_destroy(server);
	tsr_seat_destroy(seat);
	tsr_event_source_remove(sigint);
	tsr_event_source_remove(sigterm);
	tsr_event_loop_destroy(loop);
	if (own_runtime_dir)
		rmdir(runtime_dir);
	free(config);
	return exit_code;
}
