# R sae 1.3 on the benchmark data: REML fit plus Prasad-Rao MSE (mseFH),
# timed; writes the estimates for the comparison with urbis.
# Usage: R_LIBS=... Rscript bench/sae_r.R FILE OUT.csv
suppressPackageStartupMessages(library(sae))
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1])
t <- system.time(r <- mseFH(y ~ x1 + x2 + x3 + x4 + x5 + x6 + x7 + x8 + x9, psi, method = "REML", data = d))
cat(sprintf("%s\t%d\t%.3f\n", basename(args[1]), nrow(d), t[["elapsed"]]))
write.csv(data.frame(area = d$area, eblup = as.vector(r$est$eblup), mse = r$mse), args[2], row.names = FALSE)
