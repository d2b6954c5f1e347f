"""Shared test data for the agent's tests: a small kernel-like tree and the bug's secrets."""

from __future__ import annotations

TITLE = "KASAN: slab-out-of-bounds Write in parse_opt"

BUGGY_C = """\
// SPDX-License-Identifier: GPL-2.0
#include <linux/string.h>
#include "opt.h"

static int check_mode(const char *s)
{
\treturn s[0] == 'b';
}

int parse_opt(char *str, struct opt *o)
{
\tchar *flags = strchr(str, '=');
\tchar *list = strchr(str, ':');

\tif (list)
\t\t*list++ = '\\0';
\tif (flags)
\t\t*flags++ = '\\0';
\to->mode = check_mode(str);
\treturn 0;
}
"""

HEADER = "struct opt {\n\tint mode;\n};\nint parse_opt(char *str, struct opt *o);\n"

# Secrets the agent must never see: the record's fix, inject patch and origin.
SECRET_FIX = "--- a/mm/opt.c\n+++ b/mm/opt.c\n@@ SECRET-FIX-HUNK @@\n"
SECRET_INJECT = "--- a/mm/opt.c\n+++ b/mm/opt.c\n@@ SECRET-INJECT-HUNK @@\n"
SECRET_COMMIT = "5ecre7c0mm175ecre7c0mm175ecre7c0mm17aaaa"
