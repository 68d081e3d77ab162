# Top-level targets. The Swift build itself is `swift build -c release` (see README).
#
#   make images          builds the images we ship into out/images (images/Makefile;
#                        OUT=DIR, ACTOOL=PATH, DEBUG_IMAGE=busybox-tools)
#   make images-check    chroot smoke tests of the image layouts (root)
#   make images-check-reproducible
#   make images-clean

.PHONY: images
images:
	@$(MAKE) --no-print-directory -f images/Makefile images

images-%:
	@$(MAKE) --no-print-directory -f images/Makefile $*
