# Reference values of R sae for the urbis-sae golden tests.
# Our script (EUPL-1.2, like urbis); it only calls the R packages, which are
# not part of this repository. Run from this folder:
#   R_LIBS=/path/to/lib Rscript make_refs.R
# with R 4.2.2, sae 1.3 (installed from its CRAN source), lme4 1.1-31 (Debian).
suppressPackageStartupMessages(library(sae))

out <- NULL
put <- function(case, quantity, key, value) {
  out <<- rbind(out, data.frame(case = case, quantity = quantity, key = as.character(key),
                                value = format(as.numeric(value), digits = 17)))
}

fh_case <- function(case, formula, vardir, data, method, pred = NULL) {
  fit <- eval(substitute(mseFH(formula, vardir, method = method, data = data)))
  est <- fit$est
  put(case, "variance", "", est$fit$refvar)
  put(case, "iterations", "", est$fit$iterations)
  put(case, "loglik", "", est$fit$goodness[["loglike"]])
  put(case, "aic", "", est$fit$goodness[["AIC"]])
  put(case, "bic", "", est$fit$goodness[["BIC"]])
  co <- est$fit$estcoef
  for (j in seq_len(nrow(co))) {
    put(case, "beta", j, co$beta[j]); put(case, "se", j, co$std.error[j])
    put(case, "z", j, co$tvalue[j]); put(case, "p", j, co$pvalue[j])
  }
  for (d in seq_along(fit$mse)) {
    put(case, "eblup", d, est$eblup[d]); put(case, "mse", d, fit$mse[d])
  }
  if (!is.null(pred)) {
    # Areas without a sample: synthetic x'beta and its MSE A + x'(X'V^-1X)^-1 x,
    # computed here with plain matrices from the sae fit.
    X <- model.matrix(formula, data)
    A <- est$fit$refvar
    Q <- solve(t(X) %*% diag(1 / (A + data[[deparse(substitute(vardir))]])) %*% X)
    full <- rbind(data, pred)
    Xp <- model.matrix(update(formula, NULL ~ .), full)[nrow(data) + seq_len(nrow(pred)), , drop = FALSE]
    syn <- Xp %*% co$beta
    for (d in seq_len(nrow(Xp))) {
      put(case, "synthetic", pred$area[d], syn[d])
      put(case, "synthetic_mse", pred$area[d], A + Xp[d, , drop = FALSE] %*% Q %*% t(Xp[d, , drop = FALSE]))
    }
  }
}

# Milk (Arora & Lahiri 1997, as shipped in sae): intercept + factor(MajorArea).
milk <- read.csv("milk.csv")
for (m in c("REML", "ML", "FH"))
  fh_case(paste0("milk_", m), yi ~ as.factor(MajorArea), var, milk, m)

# Grapes (sae): no intercept, two numeric covariates.
data(grapes)
write.csv(grapes, "grapes.csv", row.names = FALSE)
for (m in c("REML", "ML", "FH"))
  fh_case(paste0("grapes_", m), grapehect ~ area + workdays - 1, var, grapes, m)

# Synthetic: numeric covariates, a text factor with 3 levels, 5 areas without a sample.
set.seed(20240501)
M <- 60
synth <- data.frame(area = sprintf("A%02d", 1:M), x1 = round(rnorm(M, 10, 3), 3),
                    x2 = round(runif(M), 4),
                    region = sample(c("west", "north", "south"), M, replace = TRUE))
synth$psi <- round(runif(M, 0.2, 1.5), 4)
eff <- c(north = 0, south = 0.8, west = -0.6)
synth$y <- round(2 + 0.5 * synth$x1 - 1.5 * synth$x2 + eff[synth$region] +
                 rnorm(M, 0, 0.7) + rnorm(M, 0, sqrt(synth$psi)), 4)
out_of_sample <- c(7, 19, 33, 48, 60)
synth$y[out_of_sample] <- NA
synth$psi[out_of_sample[1:3]] <- NA
write.csv(synth, "synth_fh.csv", row.names = FALSE, na = "")
s_in <- synth[-out_of_sample, ]
for (m in c("REML", "ML", "FH"))
  fh_case(paste0("synth_", m), y ~ x1 + x2 + factor(region), psi, s_in, m, pred = synth[out_of_sample, ])

write.csv(out, "fh_sae_refs.csv", row.names = FALSE)

# Unit level: Battese, Harter & Fuller (1988) corn and soybean data, sae::eblupBHF (REML, lmer).
out <- NULL
cs <- read.csv("cornsoybean.csv")
csm <- read.csv("cornsoybeanmeans.csv")
Xmean <- csm[, c("CountyIndex", "MeanCornPixPerSeg", "MeanSoyBeansPixPerSeg")]
Popn <- csm[, c("CountyIndex", "PopnSegments")]
for (resp in c("CornHec", "SoyBeansHec")) {
  f <- as.formula(paste(resp, "~ CornPix + SoyBeansPix"))
  b <- eval(substitute(eblupBHF(f, dom = County, meanxpop = Xmean, popnsize = Popn, data = cs)))
  case <- paste0("bhf_", resp)
  put(case, "sigma2u", "", b$fit$refvar)
  put(case, "sigma2e", "", b$fit$errorvar)
  put(case, "loglik", "", b$fit$loglike)
  for (j in seq_along(b$fit$fixed)) {
    put(case, "beta", j, b$fit$fixed[[j]])
    put(case, "se", j, sqrt(diag(as.matrix(vcov(b$fit$summary))))[j])
  }
  for (d in seq_len(nrow(b$eblup))) {
    put(case, "eblup", b$eblup$domain[d], b$eblup$eblup[d])
    put(case, "u", rownames(b$fit$random)[d], b$fit$random[d, 1])
  }
}
write.csv(out, "bhf_sae_refs.csv", row.names = FALSE)
writeLines(capture.output(sessionInfo()), "sessionInfo.txt")

# Arcsine model: emdi 2.2.2's bias-corrected back-transformation
# (arcsin_bc/integrand in R/back_transformation.R of emdi's source, sourced
# from a local copy of that file given as EMDI_BT; emdi itself is not
# installed) applied to the sae REML fit on the arcsine scale.
emdi_bt <- Sys.getenv("EMDI_BT")
if (nzchar(emdi_bt)) {
  source(emdi_bt)
  out <- NULL
  set.seed(77)
  M <- 40
  prop <- data.frame(area = sprintf("P%02d", 1:M), x = round(runif(M), 3),
                     n = sample(15:400, M, replace = TRUE))
  eta <- asin(sqrt(plogis(-1.2 + 1.5 * prop$x))) + rnorm(M, 0, 0.08)
  prop$p <- round(sin(pmin(pmax(eta + rnorm(M, 0, sqrt(1 / (4 * prop$n))), 0), pi / 2))^2, 4)
  unsampled <- c(5, 17, 29, 40)
  prop$p[unsampled] <- NA
  prop$n[unsampled] <- NA
  write.csv(prop, "arcsin_prop.csv", row.names = FALSE, na = "")
  s <- prop[-unsampled, ]
  s$y <- asin(sqrt(s$p)); s$vd <- 1 / (4 * s$n)
  for (m in c("REML", "ML")) {
    fit <- eblupFH(y ~ x, vd, method = m, data = s)
    A <- fit$fit$refvar
    beta <- fit$fit$estcoef$beta
    mu <- rep(NA, M); v <- rep(NA, M)
    mu[-unsampled] <- fit$eblup
    v[-unsampled] <- A * (1 - A / (A + s$vd))
    mu[unsampled] <- beta[1] + beta[2] * prop$x[unsampled]
    obs <- rep(TRUE, M); obs[unsampled] <- FALSE
    bc <- arcsin_bc(list(M = M, obs_dom = obs), mu, v)
    case <- paste0("arcsin_", m)
    put(case, "variance", "", A)
    for (d in 1:M) put(case, "estimate", prop$area[d], bc[d])
  }
  write.csv(out, "arcsin_refs.csv", row.names = FALSE)
}
