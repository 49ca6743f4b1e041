/* Dropping root for good (see privilege.h). */
#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util/privilege.h"

bool tsr_privilege_resolve(const char *user, uid_t *uid, gid_t *gid, char *err, size_t err_len)
{
	char buffer[4096];
	struct passwd entry, *found = NULL;
	int rc = getpwnam_r(user, &entry, buffer, sizeof(buffer), &found);
	if (!found) {
		char *end;
		errno = 0;
		unsigned long number = strtoul(user, &end, 10);
		if (*user && !*end && errno == 0 && number <= 0x7fffffffUL)
			rc = getpwuid_r((uid_t)number, &entry, buffer, sizeof(buffer), &found);
	}
	if (!found) {
		snprintf(err, err_len, "--user %s: no such user%s%s", user, rc ? ": " : "",
			 rc ? strerror(rc) : "");
		return false;
	}
	if (found->pw_uid == 0 || found->pw_gid == 0) {
		snprintf(err, err_len, "--user %s: must be an unprivileged user, not uid/gid 0",
			 user);
		return false;
	}
	*uid = found->pw_uid;
	*gid = found->pw_gid;
	return true;
}

bool tsr_privilege_has_capabilities(void)
{
	struct __user_cap_header_struct header = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];
	memset(data, 0, sizeof(data));
	if (syscall(SYS_capget, &header, data) != 0)
		return true; /* cannot tell: assume the worst */
	for (size_t i = 0; i < _LINUX_CAPABILITY_U32S_3; i++)
		if (data[i].effective || data[i].permitted || data[i].inheritable)
			return true;
	return false;
}

bool tsr_privilege_drop(const char *user, uid_t uid, gid_t gid, char *err, size_t err_len)
{
	if (geteuid() == 0) {
		/* The user's groups are how it reaches the devices it reopens
		 * later (input hotplug, the card after a GPU reclaim). */
		if (initgroups(user, gid) != 0 && setgroups(1, &gid) != 0) {
			snprintf(err, err_len, "setting the groups of %s: %s", user,
				 strerror(errno));
			return false;
		}
	}
	if (setresgid(gid, gid, gid) != 0 || setresuid(uid, uid, uid) != 0) {
		snprintf(err, err_len, "becoming %s (uid %u): %s", user, (unsigned)uid,
			 strerror(errno));
		return false;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
		snprintf(err, err_len, "no_new_privs: %s", strerror(errno));
		return false;
	}
	uid_t ruid, euid, suid;
	gid_t rgid, egid, sgid;
	if (getresuid(&ruid, &euid, &suid) != 0 || getresgid(&rgid, &egid, &sgid) != 0 ||
	    ruid != uid || euid != uid || suid != uid || rgid != gid || egid != gid ||
	    sgid != gid) {
		snprintf(err, err_len, "the ids did not all change to %u/%u", (unsigned)uid,
			 (unsigned)gid);
		return false;
	}
	if (setuid(0) == 0 || seteuid(0) == 0) {
		snprintf(err, err_len, "root could be regained after becoming %s", user);
		return false;
	}
	if (tsr_privilege_has_capabilities()) {
		snprintf(err, err_len, "capabilities are left after becoming %s", user);
		return false;
	}
	return true;
}
