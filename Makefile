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

# Installing what we ship (scripts/install.sh): actool and rkt in PREFIX/bin, rkt-stage1
# in PREFIX/lib/rkt, man pages, bash and zsh completions, the images' build scripts.
#   make install [PREFIX=/usr/local] [DESTDIR=]     make uninstall (same variables)
#   make docs     man pages and completions into out/share (appc-docs)
#   make deb      out/appc-tools_VERSION_amd64.deb (scripts/build-deb.sh, dpkg-deb)
PREFIX ?= /usr/local
DESTDIR ?=

.PHONY: install uninstall docs deb
install:
	@scripts/install.sh --prefix="$(PREFIX)" --destdir="$(DESTDIR)"

uninstall:
	@scripts/install.sh --uninstall --prefix="$(PREFIX)" --destdir="$(DESTDIR)"

docs:
	@"$$(scripts/build-release.sh appc-docs)/appc-docs" out/share

deb:
	@scripts/build-deb.sh out
