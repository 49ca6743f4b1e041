/* What the handoff needs to know about the system, read from sysfs, /dev
 * and /proc: the card node of a PCI device, its driver, and whether this
 * process still holds the card open. Read-only; nothing here is privileged. */
#ifndef TSR_GPU_SYSFS_H
#define TSR_GPU_SYSFS_H

#include <stdbool.h>
#include <stddef.h>

#include "handoff.h"

struct tsr_gpu_sysfs;

/* sysfs_root: "/sys" normally; a directory tree in tests. */
struct tsr_gpu_sysfs *tsr_gpu_sysfs_create(const char *sysfs_root);
void tsr_gpu_sysfs_destroy(struct tsr_gpu_sysfs *sysfs);

/* A probe (handoff.h) backed by this sysfs; valid while sysfs lives. */
struct tsr_gpu_probe tsr_gpu_sysfs_probe(struct tsr_gpu_sysfs *sysfs);

/* /dev/dri/cardN of the device, if it has one now. */
bool tsr_gpu_sysfs_find_card(struct tsr_gpu_sysfs *sysfs, const char *bdf, char *path,
			     size_t path_len);

/* The name of the driver bound to the device ("" when none); false when
 * the device does not exist. */
bool tsr_gpu_sysfs_driver(struct tsr_gpu_sysfs *sysfs, const char *bdf, char *name,
			  size_t name_len);

/* The PCI address of the device behind a card node ("/dev/dri/card1"):
 * /sys/class/drm/cardN/device resolved. False if it is not a PCI card. */
bool tsr_gpu_sysfs_card_address(struct tsr_gpu_sysfs *sysfs, const char *card_path, char *bdf,
				size_t bdf_len);

#endif
