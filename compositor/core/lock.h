/* The lock screen (mechanism around core/lock_policy.c): what engages it
 * (the lock hotkey, `tessera-ctl lock`, [lock] idle_timeout, a lock file
 * left by a Tessera that was locked when it stopped), what it draws on
 * every output (only Tessera's own pixels: core/scene.c builds the draw
 * list locked, without any domain item, while tsr_server_locked), and the
 * password check: sent to
 * tessera-lock-helper, a small process started before Tessera drops its
 * privileges, which runs the PAM conversation (service "tessera", user
 * [lock] user) and answers yes or no. The event loop never waits for PAM:
 * the answer arrives on the helper's socket like any other event. */
#ifndef TSR_CORE_LOCK_H
#define TSR_CORE_LOCK_H

#include <pixman.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "tessera/protocol.h"

struct tsr_server;
struct tsr_lock;
struct tsr_output_state;

/* The file under the runtime directory that says "locked" or "unlocked".
 * It is made at start-up, while Tessera may still be root, and handed to
 * the --user: after the drop the runtime directory need not be writable. A
 * file that says anything but "unlocked", or cannot be read, means locked. */
#define TSR_LOCK_FILE_NAME "tessera.lock-state"

struct tsr_lock_options {
	const char *runtime_dir;
	/* tessera-lock-helper; NULL: util/programs.h decides. */
	const char *helper_path;
	/* PAM's configuration directory; NULL: the system's (/etc/pam.d).
	 * Only a -Dtest_hooks=true helper accepts another one. */
	const char *pam_confdir;
	/* The user Tessera becomes (--user), who must be able to rewrite the
	 * lock-state file; owner_set false: it stays whoever made it. */
	bool owner_set;
	uid_t owner_uid;
	gid_t owner_gid;
};

/* Starts the helper when [lock] user is set and comes up locked when the
 * lock file exists. Attaches itself to server (tsr_server_lock_screen). */
struct tsr_lock *tsr_lock_create(struct tsr_server *server, const struct tsr_lock_options *options,
				 char *err, size_t err_len);
void tsr_lock_destroy(struct tsr_lock *lock); /* accepts NULL */

/* Locks now (why is logged). False with err when it cannot: no [lock] user
 * is configured, so nobody could unlock. Locking a locked lock is true. */
bool tsr_lock_engage(struct tsr_lock *lock, const char *why, char *err, size_t err_len);
bool tsr_lock_active(const struct tsr_lock *lock);
uint32_t tsr_lock_failures(const struct tsr_lock *lock);

/* From the seat while locked. */
void tsr_lock_key(struct tsr_lock *lock, uint32_t code, enum tsr_key_state state, uint64_t time_ns);
/* From the seat: physical input (restarts the idle timeout). */
void tsr_lock_activity(struct tsr_lock *lock);

/* Draws the lock screen into the renderer's current pass (core/scene.c). */
void tsr_lock_draw(struct tsr_lock *lock, struct tsr_output_state *state,
		   const pixman_region32_t *region);

#endif
