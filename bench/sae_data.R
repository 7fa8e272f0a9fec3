# Synthetic areas for the small-area benchmark: M areas, intercept + 9
# covariates, random-effect variance 0.5, sampling variances in [0.2, 2].
# Usage: Rscript bench/sae_data.R OUTDIR [M ...]
args <- commandArgs(trailingOnly = TRUE)
dir <- args[1]
sizes <- if (length(args) > 1) as.integer(args[-1]) else c(500L, 1000L, 2000L, 10000L)
dir.create(dir, showWarnings = FALSE, recursive = TRUE)
set.seed(5)
for (M in sizes) {
  X <- matrix(rnorm(M * 9), M, 9, dimnames = list(NULL, paste0("x", 1:9)))
  psi <- 0.2 + 1.8 * pmin(abs(rnorm(M)), 3) / 3
  y <- 1 + X %*% (0.1 * 1:9) + rnorm(M, 0, sqrt(0.5)) + rnorm(M, 0, sqrt(psi))
  d <- data.frame(area = sprintf("a%05d", 1:M), y = as.vector(y), psi = psi, X)
  write.csv(d, file.path(dir, sprintf("fh_%d.csv", M)), row.names = FALSE)
}
