/* tessera-lock-helper: checks the lock screen's passwords with PAM. Started
 * by tessera before it drops privileges (core/lock.c), so it runs as root
 * and pam_unix can check any user's password, which an unprivileged Tessera
 * could not (unix_chkpwd only checks the caller's own). It reads one
 * password per SOCK_SEQPACKET message on stdin and answers 'y' or 'n'; it
 * exits when tessera closes the socket or dies. The password is wiped as
 * soon as PAM has it and never logged. */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <security/pam_appl.h>

#include "core/lock_policy.h" /* TSR_LOCK_PASSWORD_MAX */

#define SERVICE "tessera"

struct conversation {
	const char *user;
	const char *password;
};

static void free_responses(struct pam_response *responses, int count)
{
	for (int i = 0; i < count; i++) {
		if (responses[i].resp) {
			explicit_bzero(responses[i].resp, strlen(responses[i].resp));
			free(responses[i].resp);
		}
	}
	free(responses);
}

/* The password for hidden prompts, the user name for visible ones (some
 * stacks ask again), nothing for messages. */
static int converse(int count, const struct pam_message **messages,
		    struct pam_response **out_responses, void *data)
{
	const struct conversation *conversation = data;
	if (count <= 0 || count > PAM_MAX_NUM_MSG)
		return PAM_CONV_ERR;
	struct pam_response *responses = calloc((size_t)count, sizeof(*responses));
	if (!responses)
		return PAM_BUF_ERR;
	for (int i = 0; i < count; i++) {
		const char *answer = NULL;
		if (messages[i]->msg_style == PAM_PROMPT_ECHO_OFF)
			answer = conversation->password;
		else if (messages[i]->msg_style == PAM_PROMPT_ECHO_ON)
			answer = conversation->user;
		if (answer && !(responses[i].resp = strdup(answer))) {
			free_responses(responses, count);
			return PAM_BUF_ERR;
		}
	}
	*out_responses = responses;
	return PAM_SUCCESS;
}

static bool check(const char *user, const char *confdir, const char *password)
{
	struct conversation conversation = {.user = user, .password = password};
	struct pam_conv conv = {.conv = converse, .appdata_ptr = &conversation};
	pam_handle_t *pam = NULL;
	int status = pam_start_confdir(SERVICE, user, &conv, confdir, &pam);
	if (status != PAM_SUCCESS) {
		fprintf(stderr, "tessera-lock-helper: pam_start: %s\n", pam_strerror(pam, status));
		return false;
	}
	status = pam_authenticate(pam, PAM_DISALLOW_NULL_AUTHTOK);
	if (status == PAM_SUCCESS)
		status = pam_acct_mgmt(pam, 0);
	if (status != PAM_SUCCESS)
		fprintf(stderr, "tessera-lock-helper: %s: %s\n", user, pam_strerror(pam, status));
	pam_end(pam, status);
	return status == PAM_SUCCESS;
}

int main(int argc, char **argv)
{
	const char *user = NULL, *confdir = NULL;
	for (int i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--user") == 0) {
			user = argv[i + 1];
#ifdef TSR_TEST_HOOKS
		} else if (strcmp(argv[i], "--confdir") == 0) {
			confdir = argv[i + 1]; /* tests: never the system's /etc */
#endif
		} else {
			fprintf(stderr, "tessera-lock-helper: unknown option %s\n", argv[i]);
			return 2;
		}
	}
	if (!user || argc % 2 == 0) {
		fprintf(stderr, "usage: tessera-lock-helper --user NAME (started by tessera)\n");
		return 2;
	}
	/* Nothing to do once tessera is gone. */
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) != 0 || getppid() == 1)
		return 1;
	/* Passwords pass through here and through PAM's buffers: never to
	 * swap. Best effort (a small RLIMIT_MEMLOCK in a container). */
	if (mlockall(MCL_CURRENT | MCL_FUTURE) != 0)
		fprintf(stderr, "tessera-lock-helper: mlockall: %s\n", strerror(errno));
	for (;;) {
		char password[TSR_LOCK_PASSWORD_MAX + 1];
		ssize_t length = recv(STDIN_FILENO, password, sizeof(password) - 1, 0);
		if (length < 0 && errno == EINTR)
			continue;
		if (length <= 0)
			break;
		password[length] = '\0';
		bool accepted = check(user, confdir, password);
		explicit_bzero(password, sizeof(password));
		char reply = accepted ? 'y' : 'n';
		if (send(STDIN_FILENO, &reply, 1, MSG_NOSIGNAL) != 1)
			break;
	}
	return 0;
}
