#!/usr/bin/env bash
# Installs the real agent CLIs that the conformance tests drive (test/agents-real.test.ts) into a
# cache folder outside the repository, pinned, from the npm registry. Idempotent: a folder that
# already has these versions is kept. Prints the folder's bin directory.
set -euo pipefail
CLAUDE=@anthropic-ai/claude-code@2.1.197
CODEX=@openai/codex@0.171.0
GEMINI=@google/gemini-cli@0.61.0
dir="${WEFT_TEST_AGENTS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/weft/test-agents}"
stamp="$CLAUDE $CODEX $GEMINI"
if [ -f "$dir/.stamp" ] && [ "$(cat "$dir/.stamp")" = "$stamp" ] && [ -x "$dir/node_modules/.bin/claude" ]; then
  echo "$dir/node_modules/.bin"; exit 0
fi
mkdir -p "$dir"
cd "$dir"
[ -f package.json ] || echo '{"name":"weft-test-agents","private":true}' > package.json
# Install scripts stay off (node-pty, keytar are optional); the CLIs ship their binaries in platform
# packages. Claude Code's own postinstall only copies its platform binary over a placeholder: run it.
npm install --no-audit --no-fund --ignore-scripts --loglevel=error $CLAUDE $CODEX $GEMINI >&2
node node_modules/@anthropic-ai/claude-code/install.cjs >&2
echo "$stamp" > .stamp
echo "$dir/node_modules/.bin"
