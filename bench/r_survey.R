# R survey / convey side of the urbis benchmark (see bench/README.md).
#
#   Rscript bench/r_survey.R a|b|c DATA.csv OUT.csv   estimates, written as
#                                                      statistic,variable,domain,estimate,se
#   Rscript bench/r_survey.R compare URBIS.csv R.csv   checks that urbis and R agree:
#                                                      estimates to 1e-8, SEs to 1e-6 (relative)
#
# a: Taylor-linearised means of y1, y2, y3 by domain (stratified cluster design)
# b: the same with the 80 bootstrap replicate weights rep_1..rep_80
# c: at-risk-of-poverty rate of income by region (convey, linearised)
#
# Missing values: only y3 has any. urbis leaves a missing value out of that
# statistic only; svymean(~y1+y2+y3, na.rm=TRUE) would drop the row for all
# three. So y1 and y2 go in one call and y3 in a second one with na.rm=TRUE,
# which gives exactly urbis's definition.
#
# Only the columns a case needs are read (fread select=), as urbis does.
# Timings of the reading and of the estimation go to stderr.

suppressPackageStartupMessages({
  library(data.table)
  library(survey)
})

args <- commandArgs(trailingOnly = TRUE)
if (length(args) != 3) stop("usage: r_survey.R a|b|c DATA.csv OUT.csv | compare URBIS.csv R.csv")
mode <- args[1]

fmt <- function(x) sprintf("%.17g", x)

tick <- function(label, t0) {
  message(sprintf("%s: %.2f s", label, (proc.time() - t0)[["elapsed"]]))
  proc.time()
}

# svyby result -> long table (one row per domain and variable)
long <- function(res, by, vars, stat = "mean") {
  ses <- as.matrix(SE(res)) # one column per variable, whatever svyby named them
  rbindlist(lapply(seq_along(vars), function(k) {
    data.table(statistic = stat, variable = vars[k], domain = as.character(res[[by]]),
               estimate = fmt(res[[vars[k]]]), se = fmt(ses[, k]))
  }))
}

if (mode == "compare") {
  u <- fread(args[2], colClasses = "character")
  r <- fread(args[3], colClasses = "character")
  # urbis names the domain column after the --by column
  dom <- setdiff(names(u), c("statistic", "variable", "estimate", "se", "ci_low", "ci_high", "cv", "n", "pop_size", "df"))
  setnames(u, dom, "domain")
  m <- merge(u[, .(statistic, variable, domain, est_u = as.numeric(estimate), se_u = as.numeric(se))],
             r[, .(statistic, variable, domain, est_r = as.numeric(estimate), se_r = as.numeric(se))],
             by = c("statistic", "variable", "domain"), all = TRUE)
  missing <- m[is.na(est_u) | is.na(est_r)]
  rel <- function(a, b) abs(a - b) / pmax(abs(b), .Machine$double.xmin)
  m[, `:=`(rel_est = rel(est_u, est_r), rel_se = rel(se_u, se_r))]
  max_est <- max(m$rel_est, na.rm = TRUE)
  max_se <- max(m$rel_se, na.rm = TRUE)
  ok <- nrow(missing) == 0 && max_est <= 1e-8 && max_se <= 1e-6
  cat(sprintf("%s (%d values; max relative difference: estimates %.1e, SEs %.1e)%s\n",
              if (ok) "agree" else "DIFFER", nrow(m), max_est, max_se,
              if (nrow(missing) > 0) sprintf(", %d rows in only one of the two", nrow(missing)) else ""))
  if (!ok) print(head(m[order(-pmax(rel_est, rel_se / 100, na.rm = TRUE))], 10))
  quit(status = if (ok) 0 else 1)
}

file <- args[2]
out <- args[3]
t0 <- proc.time()

if (mode == "a") {
  d <- fread(file, select = c("stratum", "psu", "weight", "domain", "y1", "y2", "y3"))
  t0 <- tick(sprintf("read %d rows", nrow(d)), t0)
  des <- svydesign(ids = ~psu, strata = ~stratum, weights = ~weight, nest = TRUE, data = d)
  r12 <- svyby(~y1 + y2, ~domain, des, svymean)
  r3 <- svyby(~y3, ~domain, des, svymean, na.rm = TRUE)
  res <- rbind(long(r12, "domain", c("y1", "y2")), long(r3, "domain", "y3"))
} else if (mode == "b") {
  d <- fread(file, select = c("weight", "domain", "y1", "y2", "y3", paste0("rep_", 1:80)))
  t0 <- tick(sprintf("read %d rows", nrow(d)), t0)
  des <- svrepdesign(data = d, type = "bootstrap", repweights = "rep_[0-9]+", weights = ~weight,
                     combined.weights = TRUE)
  r12 <- svyby(~y1 + y2, ~domain, des, svymean)
  r3 <- svyby(~y3, ~domain, des, svymean, na.rm = TRUE)
  res <- rbind(long(r12, "domain", c("y1", "y2")), long(r3, "domain", "y3"))
} else if (mode == "c") {
  suppressPackageStartupMessages(library(convey))
  d <- fread(file, select = c("stratum", "psu", "weight", "region", "income"))
  t0 <- tick(sprintf("read %d rows", nrow(d)), t0)
  des <- convey_prep(svydesign(ids = ~psu, strata = ~stratum, weights = ~weight, nest = TRUE, data = d))
  r <- svyby(~income, ~region, des, svyarpr)
  res <- data.table(statistic = "arpr", variable = "income", domain = as.character(r$region),
                    estimate = fmt(coef(r)), se = fmt(SE(r)))
} else {
  stop("unknown case ", mode)
}
t0 <- tick("estimate", t0)
fwrite(res, out)
message(sprintf("R %s, survey %s%s", getRversion(), packageVersion("survey"),
                if (mode == "c") paste0(", convey ", packageVersion("convey")) else ""))
