/* sysfs, /dev and /proc lookups for the handoff (see sysfs.h). */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "pci_address.h"
#include "sysfs.h"

#define MAX_NODES 8u /* card, render node, ... of one device */
#define NODE_NAME_MAX 32u

struct tsr_gpu_sysfs {
	char root[256]; /* short, so every path built on it fits PATH_MAX */
	/* The device's DRM nodes, remembered before the handoff (afterwards
	 * sysfs no longer lists them). */
	struct {
		char name[NODE_NAME_MAX];
		dev_t rdev;
	} nodes[MAX_NODES];
	size_t node_count;
};

struct tsr_gpu_sysfs *tsr_gpu_sysfs_create(const char *sysfs_root)
{
	struct tsr_gpu_sysfs *sysfs = calloc(1, sizeof(*sysfs));
	if (!sysfs)
		return NULL;
	snprintf(sysfs->root, sizeof(sysfs->root), "%s", sysfs_root ? sysfs_root : "/sys");
	return sysfs;
}

void tsr_gpu_sysfs_destroy(struct tsr_gpu_sysfs *sysfs)
{
	free(sysfs);
}

static bool read_dev_number(const char *path, dev_t *out)
{
	FILE *file = fopen(path, "re");
	if (!file)
		return false;
	unsigned int major_number, minor_number;
	bool ok = fscanf(file, "%u:%u", &major_number, &minor_number) == 2;
	fclose(file);
	if (ok)
		*out = makedev(major_number, minor_number);
	return ok;
}

/* Calls visit for each DRM node name (card1, renderD128) of the device. */
static void for_each_node(struct tsr_gpu_sysfs *sysfs, const char *bdf,
			  bool (*visit)(struct tsr_gpu_sysfs *, const char *bdf, const char *name,
					void *),
			  void *data)
{
	if (!tsr_pci_address_valid(bdf))
		return;
	char dir_path[PATH_MAX];
	snprintf(dir_path, sizeof(dir_path), "%s/bus/pci/devices/%s/drm", sysfs->root, bdf);
	DIR *dir = opendir(dir_path);
	if (!dir)
		return;
	struct dirent *entry;
	while ((entry = readdir(dir))) {
		if (strncmp(entry->d_name, "card", 4) != 0 &&
		    strncmp(entry->d_name, "renderD", 7) != 0)
			continue;
		if (strlen(entry->d_name) >= NODE_NAME_MAX)
			continue;
		if (!visit(sysfs, bdf, entry->d_name, data))
			break;
	}
	closedir(dir);
}

struct find_card_ctx {
	char *path;
	size_t path_len;
	bool found;
};

static bool visit_find_card(struct tsr_gpu_sysfs *sysfs, const char *bdf, const char *name,
			    void *data)
{
	struct find_card_ctx *ctx = data;
	if (strncmp(name, "card", 4) != 0)
		return true;
	char dev_path[PATH_MAX];
	dev_t rdev;
	snprintf(dev_path, sizeof(dev_path), "%s/bus/pci/devices/%s/drm/%s/dev", sysfs->root, bdf,
		 name);
	if (!read_dev_number(dev_path, &rdev))
		return true;
	/* The node must exist in /dev and be that device: the kernel lists the
	 * card in sysfs before devtmpfs has made the node. */
	char node[64];
	snprintf(node, sizeof(node), "/dev/dri/%s", name);
	struct stat st;
	if (stat(node, &st) != 0 || !S_ISCHR(st.st_mode) || st.st_rdev != rdev)
		return true;
	snprintf(ctx->path, ctx->path_len, "%s", node);
	ctx->found = true;
	return false;
}

bool tsr_gpu_sysfs_find_card(struct tsr_gpu_sysfs *sysfs, const char *bdf, char *path,
			     size_t path_len)
{
	struct find_card_ctx ctx = {.path = path, .path_len = path_len};
	for_each_node(sysfs, bdf, visit_find_card, &ctx);
	return ctx.found;
}

static bool visit_remember(struct tsr_gpu_sysfs *sysfs, const char *bdf, const char *name,
			   void *data)
{
	if (sysfs->node_count >= MAX_NODES)
		return false;
	char dev_path[PATH_MAX];
	snprintf(dev_path, sizeof(dev_path), "%s/bus/pci/devices/%s/drm/%s/dev", sysfs->root, bdf,
		 name);
	dev_t rdev;
	if (!read_dev_number(dev_path, &rdev))
		return true;
	snprintf(sysfs->nodes[sysfs->node_count].name, NODE_NAME_MAX, "%s", name);
	sysfs->nodes[sysfs->node_count].rdev = rdev;
	sysfs->node_count++;
	return true;
}

static void remember_card_nodes(void *data, const char *bdf)
{
	struct tsr_gpu_sysfs *sysfs = data;
	sysfs->node_count = 0;
	for_each_node(sysfs, bdf, visit_remember, NULL);
}

static void append(char *buf, size_t len, const char *fmt, const char *a, const char *b)
{
	size_t used = strlen(buf);
	if (used + 1 < len)
		snprintf(buf + used, len - used, fmt, a, b);
}

/* Open fds (by device number, whatever path opened them) and mappings (a
 * mapped dumb buffer keeps the driver busy just like an fd). */
static int count_card_users(void *data, const char *bdf, char *why, size_t why_len)
{
	struct tsr_gpu_sysfs *sysfs = data;
	why[0] = '\0';
	DIR *fds = opendir("/proc/self/fd");
	if (!fds) {
		snprintf(why, why_len, "cannot read /proc/self/fd");
		return -1;
	}
	int users = 0;
	struct dirent *entry;
	while ((entry = readdir(fds))) {
		if (entry->d_name[0] == '.')
			continue;
		struct stat st;
		if (fstatat(dirfd(fds), entry->d_name, &st, 0) != 0 || !S_ISCHR(st.st_mode))
			continue;
		for (size_t i = 0; i < sysfs->node_count; i++) {
			if (st.st_rdev == sysfs->nodes[i].rdev) {
				users++;
				append(why, why_len, "fd %s on %s; ", entry->d_name,
				       sysfs->nodes[i].name);
			}
		}
	}
	closedir(fds);

	FILE *maps = fopen("/proc/self/maps", "re");
	if (!maps) {
		snprintf(why, why_len, "cannot read /proc/self/maps");
		return -1;
	}
	char line[PATH_MAX + 128];
	while (fgets(line, sizeof(line), maps)) {
		for (size_t i = 0; i < sysfs->node_count; i++) {
			char suffix[NODE_NAME_MAX + 16];
			snprintf(suffix, sizeof(suffix), "/dev/dri/%s\n", sysfs->nodes[i].name);
			size_t len = strlen(line), suffix_len = strlen(suffix);
			if (len >= suffix_len && strcmp(line + len - suffix_len, suffix) == 0) {
				users++;
				append(why, why_len, "a mapping of %s%s; ", sysfs->nodes[i].name,
				       "");
			}
		}
	}
	fclose(maps);
	return users;
}

static bool probe_find_card(void *data, const char *bdf, char *path, size_t path_len)
{
	return tsr_gpu_sysfs_find_card(data, bdf, path, path_len);
}

struct tsr_gpu_probe tsr_gpu_sysfs_probe(struct tsr_gpu_sysfs *sysfs)
{
	return (struct tsr_gpu_probe){
	    .find_card = probe_find_card,
	    .count_card_users = count_card_users,
	    .remember_card_nodes = remember_card_nodes,
	    .data = sysfs,
	};
}

bool tsr_gpu_sysfs_driver(struct tsr_gpu_sysfs *sysfs, const char *bdf, char *name, size_t name_len)
{
	if (!tsr_pci_address_valid(bdf))
		return false;
	char path[PATH_MAX], target[PATH_MAX];
	snprintf(path, sizeof(path), "%s/bus/pci/devices/%s", sysfs->root, bdf);
	if (access(path, F_OK) != 0)
		return false;
	snprintf(path, sizeof(path), "%s/bus/pci/devices/%s/driver", sysfs->root, bdf);
	ssize_t len = readlink(path, target, sizeof(target) - 1);
	if (len < 0) {
		name[0] = '\0';
		return true;
	}
	target[len] = '\0';
	const char *base = strrchr(target, '/');
	snprintf(name, name_len, "%s", base ? base + 1 : target);
	return true;
}

bool tsr_gpu_sysfs_card_address(struct tsr_gpu_sysfs *sysfs, const char *card_path, char *bdf,
				size_t bdf_len)
{
	const char *name = strrchr(card_path, '/');
	name = name ? name + 1 : card_path;
	char path[PATH_MAX], target[PATH_MAX];
	snprintf(path, sizeof(path), "%s/class/drm/%s/device", sysfs->root, name);
	ssize_t len = readlink(path, target, sizeof(target) - 1);
	if (len < 0)
		return false;
	target[len] = '\0';
	const char *base = strrchr(target, '/');
	base = base ? base + 1 : target;
	if (!tsr_pci_address_valid(base))
		return false;
	snprintf(bdf, bdf_len, "%s", base);
	return true;
}
