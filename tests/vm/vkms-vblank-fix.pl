#!/usr/bin/perl
# Patches Linux 6.1's drivers/gpu/drm/vkms/vkms_crtc.c (given as the only
# argument, edited in place) before prepare-kit.sh builds vkms.ko.
#
# Why: in 6.1, drm_vblank_disable_and_save() holds dev->vblank_time_lock
# while it calls vkms_disable_vblank(), which waits in hrtimer_cancel() for
# a running vkms_vblank_simulate(); that callback, on the other CPU, spins on
# the same vblank_time_lock in drm_handle_vblank(). Both CPUs spin forever
# and the whole test VM freezes (seen in CI: kms-backend, which enables and
# disables the CRTC many times, hung until the VM timeout). Under TCG the
# callback runs slowly, so the window is wide.
#
# The fix does what later kernels do for timer-driven vblank: never wait for
# the callback under the lock. disable only tries to cancel; the callback
# stops itself (HRTIMER_NORESTART) when it finds vblank disabled; the timer
# is initialised once, not re-initialised while it may still run; and the
# CRTC disable, which holds no spinlock, waits for a last callback so the
# module never unloads under a live timer.
use strict;
use warnings;

my $path = shift or die "usage: $0 vkms_crtc.c\n";
open(my $in, '<', $path) or die "$path: $!\n";
my $src = do { local $/; <$in> };
close($in);

sub replace_once {
	my ($what, $from, $to) = @_;
	my $count = () = $src =~ /\Q$from\E/g;
	die "vkms-vblank-fix: $what: expected the 6.1 code once, found it $count times in $path\n"
	    unless $count == 1;
	$src =~ s/\Q$from\E/$to/;
}

replace_once('callback stops when vblank is off',
	"\tret = drm_crtc_handle_vblank(crtc);\n\tif (!ret)\n\t\tDRM_ERROR(\"vkms failure on handling vblank\");\n",
	"\tret = drm_crtc_handle_vblank(crtc);\n\tif (!ret) {\n\t\t/* vblank was disabled meanwhile: stop (tessera test kit) */\n"
	  . "\t\tspin_unlock(&output->lock);\n\t\tdma_fence_end_signalling(fence_cookie);\n"
	  . "\t\treturn HRTIMER_NORESTART;\n\t}\n");

replace_once('timer initialised once',
	"\thrtimer_init(&out->vblank_hrtimer, CLOCK_MONOTONIC, HRTIMER_MODE_REL);\n"
	  . "\tout->vblank_hrtimer.function = &vkms_vblank_simulate;\n",
	"\tif (out->vblank_hrtimer.function != &vkms_vblank_simulate) {\n"
	  . "\t\thrtimer_init(&out->vblank_hrtimer, CLOCK_MONOTONIC, HRTIMER_MODE_REL);\n"
	  . "\t\tout->vblank_hrtimer.function = &vkms_vblank_simulate;\n\t}\n");

replace_once('disable does not wait under vblank_time_lock',
	"\thrtimer_cancel(&out->vblank_hrtimer);\n",
	"\thrtimer_try_to_cancel(&out->vblank_hrtimer);\n");

replace_once('CRTC disable waits for the last callback',
	"\tdrm_crtc_vblank_off(crtc);\n}\n",
	"\tdrm_crtc_vblank_off(crtc);\n"
	  . "\tif (drm_crtc_to_vkms_output(crtc)->vblank_hrtimer.function)\n"
	  . "\t\thrtimer_cancel(&drm_crtc_to_vkms_output(crtc)->vblank_hrtimer);\n}\n");

open(my $out, '>', $path) or die "$path: $!\n";
print $out $src;
close($out) or die "$path: $!\n";
print "vkms-vblank-fix: patched $path\n";
