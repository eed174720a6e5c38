#!/bin/sh
# SPDX-License-Identifier: MIT
# Installs the iso-on-tcp test peer into this folder's node_modules (git-ignored)
# from package-lock.json. Idempotent: does nothing when the locked version is
# already there. Only the npm registry is contacted.
set -eu
cd "$(dirname "$0")"
want=$(node -p "require('./package-lock.json').packages['node_modules/iso-on-tcp'].version")
have=$(node -p "try { require('./node_modules/iso-on-tcp/package.json').version } catch (e) { '' }")
if [ "$have" = "$want" ]; then
    echo "iso-on-tcp $have already installed"
    exit 0
fi
npm ci --no-audit --no-fund
