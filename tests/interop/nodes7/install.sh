#!/bin/sh
# SPDX-License-Identifier: MIT
# Installs the nodes7 test peer into this folder's node_modules (git-ignored)
# from package-lock.json. Idempotent: does nothing when the locked version is
# already there. Only the npm registry is contacted.
set -eu
cd "$(dirname "$0")"
want=$(node -p "require('./package-lock.json').packages['node_modules/nodes7'].version")
have=$(node -p "try { require('./node_modules/nodes7/package.json').version } catch (e) { '' }")
if [ "$have" = "$want" ]; then
    echo "nodes7 $have already installed"
    exit 0
fi
npm ci --no-audit --no-fund
