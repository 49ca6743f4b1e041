#!/usr/bin/perl
# Patches Linux 6.1's drivers/dma-buf/udmabuf.c (given as the only argument,
# edited in place) so that prepare-kit.sh can build it as a module, out of
# tree, against Debian's kernel, which has no udmabuf (CONFIG_UDMABUF is a
# bool there and unset).
#
# Why each change:
# - Hugetlb memfds are refused. The hugetlb path needs is_file_hugepages(),
#   whose inline body reads hugetlbfs_file_operations and calls
#   is_file_shm_hugepages(); neither is exported to modules, so modpost
#   fails. Tessera refuses hugetlb memfds before they get here anyway
#   (compositor/transport/memfd_buffer.c), so only shmem memfds remain.
# - Seals are read from the shmem inode (SHMEM_I(inode)->seals, which is
#   what memfd_fcntl(F_GET_SEALS) returns for a shmem file) because
#   memfd_fcntl() is not exported either. The file was just checked to be
#   shmem, so the inode is a shmem inode.
# - The module imports the DMA_BUF symbol namespace: dma_buf_export() and
#   friends are exported into it, and modpost refuses the module otherwise.
# - A vmap/vunmap pair, as upstream added in Linux 6.2 ("udmabuf: add vmap
#   and vunmap methods to udmabuf_ops"): vkms composes planes with the
#   CPU and maps every framebuffer's object with dma_buf_vmap(). Without it
#   an imported udmabuf framebuffer passes an atomic TEST_ONLY commit and
#   the real commit fails with EINVAL (seen on this kit). vm_map_ram() is
#   exported; the 6.1 dma-buf core holds its own lock around vmap, so the
#   later dma_resv_assert_held() is left out.
use strict;
use warnings;

my $path = shift or die "usage: $0 udmabuf.c\n";
open(my $in, '<', $path) or die "$path: $!\n";
my $src = do { local $/; <$in> };
close($in);

sub replace_count {
	my ($what, $count_wanted, $from, $to) = @_;
	my $count = () = $src =~ /\Q$from\E/g;
	die "udmabuf-module-fix: $what: expected the 6.1 code $count_wanted times, "
	    . "found it $count times in $path\n"
	    unless $count == $count_wanted;
	$src =~ s/\Q$from\E/$to/g;
}

replace_count('only shmem memfds', 1,
	"\t\tif (!shmem_mapping(mapping) && !is_file_hugepages(memfd))\n",
	"\t\t/* tessera test kit: no hugetlb (its helpers are not exported) */\n"
	  . "\t\tif (!shmem_mapping(mapping))\n");

replace_count('hugetlb branches never taken', 2,
	"if (is_file_hugepages(memfd)) {\n",
	"if (0) { /* hugetlb: refused above */\n");

replace_count('seals read through shmem', 1,
	"\t\tseals = memfd_fcntl(memfd, F_GET_SEALS, 0);\n",
	"\t\tseals = SHMEM_I(file_inode(memfd))->seals; /* tessera test kit */\n");

replace_count('DMA_BUF namespace', 1,
	"MODULE_LICENSE(\"GPL v2\");\n",
	"MODULE_LICENSE(\"GPL v2\");\nMODULE_IMPORT_NS(DMA_BUF); /* tessera test kit */\n");

replace_count('vmap and vunmap (from Linux 6.2)', 1,
	"static const struct dma_buf_ops udmabuf_ops = {\n",
	"/* tessera test kit: from Linux 6.2, for vkms (see udmabuf-module-fix.pl) */\n"
	  . "static int vmap_udmabuf(struct dma_buf *buf, struct iosys_map *map)\n{\n"
	  . "\tstruct udmabuf *ubuf = buf->priv;\n\tvoid *vaddr;\n\n"
	  . "\tvaddr = vm_map_ram(ubuf->pages, ubuf->pagecount, -1);\n"
	  . "\tif (!vaddr)\n\t\treturn -EINVAL;\n\n"
	  . "\tiosys_map_set_vaddr(map, vaddr);\n\treturn 0;\n}\n\n"
	  . "static void vunmap_udmabuf(struct dma_buf *buf, struct iosys_map *map)\n{\n"
	  . "\tstruct udmabuf *ubuf = buf->priv;\n\n"
	  . "\tvm_unmap_ram(map->vaddr, ubuf->pagecount);\n}\n\n"
	  . "static const struct dma_buf_ops udmabuf_ops = {\n"
	  . "\t.vmap\t\t   = vmap_udmabuf,\n\t.vunmap\t\t   = vunmap_udmabuf,\n");

replace_count('headers for vm_map_ram', 1,
	"#include <linux/hugetlb.h>\n",
	"#include <linux/hugetlb.h>\n#include <linux/vmalloc.h>\n#include <linux/iosys-map.h>\n");

open(my $out, '>', $path) or die "$path: $!\n";
print $out $src;
close($out) or die "$path: $!\n";
print "udmabuf-module-fix: patched $path\n";
