/* SPDX-License-Identifier: MIT */
/* wsp-bench: the markdown table on stdout and the optional CSV file. */
#include "bench.h"

#include <stdio.h>

static FILE *csv;

int bench_report_csv_open(const char *path)
{
    csv = fopen(path, "w");
    if (csv == NULL)
        return -1;
    fprintf(csv, "group,path,raw,samples,raw_ns_per_op,wsp_ns_per_op,ratio,wsp_mb_per_s,error\n");
    return 0;
}

void bench_report_csv_close(void)
{
    if (csv != NULL)
        fclose(csv);
    csv = NULL;
}

void bench_report_header(void)
{
    printf("| group | wsp path | raw path | samples | raw ns/op | wsp ns/op | wsp/raw | spread | "
           "wsp MB/s |\n");
    printf("|---|---|---|---:|---:|---:|---:|---:|---:|\n");
}

void bench_report_case(const struct bench_case *bc)
{
    for (int m = 0; m < bc->nmetrics; m++) {
        if (bc->err[0] != '\0') {
            printf("| %s | %s | %s | 0 | n/a | n/a | n/a | | failed: %s |\n", bc->group,
                   bc->metric[m], bc->raw_name[m], bc->err);
            if (csv != NULL)
                fprintf(csv, "\"%s\",\"%s\",\"%s\",0,,,,,\"%s\"\n", bc->group, bc->metric[m],
                        bc->raw_name[m], bc->err);
            continue;
        }
        double ratio = bc->raw_med[m] > 0 ? bc->wsp_med[m] / bc->raw_med[m] : 0;
        const struct bench_target *t = bench_target_find(bc->group, bc->metric[m], bc->raw_name[m]);
        if (t != NULL) {
            char sc[160];
            snprintf(sc, sizeof sc, "%s: %s vs %s", bc->group, bc->metric[m], bc->raw_name[m]);
            bench_target_record(sc, t, bc->ratio_p50[m], bc->ratio_p25[m], bc->ratio_p75[m]);
        }
        char mb[32] = "";
        if (bc->mbps[m] > 0)
            snprintf(mb, sizeof mb, "%.0f", bc->mbps[m]);
        printf("| %s | %s | %s | %d | %.1f | %.1f | %.2f | %.2f..%.2f | %s |\n", bc->group,
               bc->metric[m], bc->raw_name[m], bc->reps, bc->raw_med[m], bc->wsp_med[m], ratio,
               bc->ratio_p25[m], bc->ratio_p75[m], mb);
        if (csv != NULL)
            fprintf(csv, "\"%s\",\"%s\",\"%s\",%d,%.1f,%.1f,%.3f,%s,\n", bc->group, bc->metric[m],
                    bc->raw_name[m], bc->reps, bc->raw_med[m], bc->wsp_med[m], ratio, mb);
    }
    /* The watchdog may end the run (a hung library call): keep what was measured. */
    fflush(stdout);
    if (csv != NULL)
        fflush(csv);
}
