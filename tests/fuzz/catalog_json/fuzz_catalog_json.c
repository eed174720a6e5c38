/* SPDX-License-Identifier: MIT */
/* libFuzzer target over the catalog file format: arbitrary octets through
 * crec_parse in both modes. A parse error names a line inside the input;
 * whatever parses is written back with crec_write and must parse again to
 * the very same records (what one prints another can read). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz/fuzz_check.h"
#include "ws2/catalog_record.h"

static int count_lines(const uint8_t *p, size_t n)
{
    int lines = 1;
    for (size_t i = 0; i < n; i++)
        lines += p[i] == '\n';
    return lines;
}

static void check_mode(const uint8_t *data, size_t size, enum crec_mode mode)
{
    struct crec_list l = {0};
    struct crec_error err;
    if (crec_parse((const char *)data, size, mode, &l, &err) != 0) {
        FUZZ_CHECK(l.n == 0);
        FUZZ_CHECK(err.line >= 0 && err.line <= count_lines(data, size));
        FUZZ_CHECK(err.msg[0] != '\0');
        crec_clear(&l);
        return;
    }
    FUZZ_CHECK(l.n <= CREC_MAX_ENTRIES);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    FUZZ_CHECK(f != NULL);
    FUZZ_CHECK(crec_write(f, l.v, l.n) == 0);
    fclose(f);
    struct crec_list again = {0};
    FUZZ_CHECK(crec_parse(buf, len, mode, &again, &err) == 0);
    FUZZ_CHECK(again.n == l.n);
    for (size_t i = 0; i < l.n; i++) {
        const WSAPROTOCOL_INFOW *a = &l.v[i].info, *b = &again.v[i].info;
        /* the text is the same; so is every number the format carries */
        FUZZ_CHECK(memcmp(a->szProtocol, b->szProtocol, sizeof a->szProtocol) == 0);
        FUZZ_CHECK(memcmp(&a->ProviderId, &b->ProviderId, sizeof a->ProviderId) == 0);
        FUZZ_CHECK(a->ProtocolChain.ChainLen == b->ProtocolChain.ChainLen);
        for (int k = 0; k < a->ProtocolChain.ChainLen; k++)
            FUZZ_CHECK(a->ProtocolChain.ChainEntries[k] == b->ProtocolChain.ChainEntries[k]);
        FUZZ_CHECK(a->dwCatalogEntryId == b->dwCatalogEntryId);
        FUZZ_CHECK(a->iAddressFamily == b->iAddressFamily && a->iSocketType == b->iSocketType);
        FUZZ_CHECK(a->iProtocol == b->iProtocol && a->dwServiceFlags1 == b->dwServiceFlags1);
        FUZZ_CHECK(a->dwProviderFlags == b->dwProviderFlags);
        FUZZ_CHECK((l.v[i].module == NULL) == (again.v[i].module == NULL));
        FUZZ_CHECK(l.v[i].module == NULL || strcmp(l.v[i].module, again.v[i].module) == 0);
    }
    crec_clear(&again);
    crec_clear(&l);
    free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    check_mode(data, size, CREC_CATALOG);
    check_mode(data, size, CREC_INFO);
    return 0;
}
