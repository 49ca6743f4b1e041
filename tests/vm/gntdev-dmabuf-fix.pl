#!/usr/bin/perl
# Patches Linux 6.1's drivers/xen/gntdev-common.h and gntdev.c (the
# directory holding them is the only argument; edited in place) so that
# prepare-kit.sh can build xen-gntdev with CONFIG_XEN_GNTDEV_DMABUF, out of
# tree, against Debian's kernel, whose gntdev has no dma-buf export
# (issue 11: grants exported as dma-bufs, xengnttab_dmabuf_exp_from_refs).
#
# Why the change: Kconfig makes XEN_GNTDEV_DMABUF depend on
# XEN_GRANT_DMA_ALLOC, which Debian leaves unset and which is a bool of the
# core kernel (gnttab_dma_alloc_pages lives in grant-table.c), so a module
# cannot bring it. gntdev-dmabuf.c needs only one thing of it: the device
# its dma-bufs are exported for (gntdev_priv.dma_dev, the gntdev misc
# device), which 6.1 declares and sets under XEN_GRANT_DMA_ALLOC alone. The
# field and its assignment are made to exist under either option. Nothing
# else depends on DMA_ALLOC in the export path: with no DMA flags the
# pages come from the balloon, as for ordinary maps. The dma-bufs this
# gives have no vmap, so vkms (which composes with the CPU) cannot scan
# them out; a real display engine can.
use strict;
use warnings;

my $dir = shift or die "usage: $0 DIR (with gntdev-common.h and gntdev.c)\n";

sub patch_file {
	my ($file, $what, $from, $to) = @_;
	my $path = "$dir/$file";
	open(my $in, '<', $path) or die "$path: $!\n";
	my $src = do { local $/; <$in> };
	close($in);
	my $count = () = $src =~ /\Q$from\E/g;
	die "gntdev-dmabuf-fix: $what: expected the 6.1 code once, found it $count times in $path\n"
	    unless $count == 1;
	$src =~ s/\Q$from\E/$to/;
	open(my $out, '>', $path) or die "$path: $!\n";
	print $out $src;
	close($out);
}

my $either = "#if defined(CONFIG_XEN_GRANT_DMA_ALLOC) || defined(CONFIG_XEN_GNTDEV_DMABUF)"
    . " /* tessera test kit */\n";

patch_file('gntdev-common.h', 'the dma_dev field',
	"#ifdef CONFIG_XEN_GRANT_DMA_ALLOC\n\t/* Device for which DMA memory is allocated. */\n",
	$either . "\t/* Device for which DMA memory is allocated. */\n");

patch_file('gntdev.c', 'dma_dev set at open',
	"#ifdef CONFIG_XEN_GRANT_DMA_ALLOC\n\tpriv->dma_dev = gntdev_miscdev.this_device;\n",
	$either . "\tpriv->dma_dev = gntdev_miscdev.this_device;\n");

print "gntdev-dmabuf-fix: patched $dir\n";
