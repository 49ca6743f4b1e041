/* The demo: Tessera's main job on its embedded default configuration.
 * Starts one tessera-agent per local domain, walks through the mosaic and
 * each domain in focus, writes a screenshot of each step and prints a
 * frame summary. It drives the same server entry points as the hotkeys. */
#ifndef TSR_CORE_DEMO_H
#define TSR_CORE_DEMO_H

#include <stdbool.h>
#include <stddef.h>

struct tsr_server;
struct tsr_demo;

struct tsr_demo_options {
	const char *agent_path;
	const char *runtime_dir;
	const char *screenshot_dir;
};

struct tsr_demo *tsr_demo_create(struct tsr_server *server, const struct tsr_demo_options *options,
				 char *err, size_t err_len);
void tsr_demo_destroy(struct tsr_demo *demo); /* stops the agents */

/* True once the walk-through ended; *success tells how. */
bool tsr_demo_finished(const struct tsr_demo *demo, bool *success);

#endif
