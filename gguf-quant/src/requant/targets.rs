//! Every target planned for one model at once (`gguf requant --dry-run --to
//! all`): which file type fits, how large each is, and with
//! [`QualityOptions`] how much each one costs in weight error, the model read
//! once for all of them.

use super::quality::{self, PlanQuality, QualityOptions, QualityProgress};
use super::{plan, Options, Plan, RequantError, Target, TARGETS};
use gguf_format::Model;

/// `base` with each target in turn, in [`TARGETS`]' order, aliases left
/// out ([`Target::is_alias`]): the options [`plan_all`] plans.
pub fn every_target(base: &Options) -> Vec<Options> {
    TARGETS
        .iter()
        .filter(|t| !t.is_alias())
        .map(|t| base.with_target(t))
        .collect()
}

/// One target planned as a dry run.
pub struct TargetPlan<'a> {
    /// The target.
    pub target: &'static Target,
    /// Its plan, or why it cannot be made as asked.
    pub plan: Result<Plan<'a>, RequantError>,
    /// With quality options: the predicted weight error (`None` when the
    /// plan failed or cannot be carried out, such as without a needed
    /// importance matrix); without them, `None`.
    pub quality: Option<Option<PlanQuality>>,
}

/// Plans each of `options` (as [`plan`] with `dry_run`), in their order;
/// with `quality`, predicts every successful plan's weight error in one
/// read of the model, `progress` hearing how far that is. A target that
/// cannot be planned is a row with its error; the error of the whole is
/// only the quality estimate's.
pub fn plan_all<'a>(
    m: &Model<'a>,
    options: &'a [Options],
    quality: Option<&QualityOptions>,
    progress: &mut dyn FnMut(QualityProgress),
) -> Result<Vec<TargetPlan<'a>>, RequantError> {
    let plans: Vec<Result<Plan<'a>, RequantError>> = options.iter().map(|o| plan(m, o, true)).collect();
    let predicted: Vec<Option<Option<PlanQuality>>> = match quality {
        Some(q) => {
            let ok: Vec<&Plan<'_>> = plans.iter().filter_map(|p| p.as_ref().ok()).collect();
            let mut figures = quality::estimate(m, &ok, q, progress)?.into_iter();
            plans
                .iter()
                .map(|p| Some(p.as_ref().ok().and_then(|_| figures.next().flatten())))
                .collect()
        }
        None => plans.iter().map(|_| None).collect(),
    };
    Ok(options
        .iter()
        .zip(plans)
        .zip(predicted)
        .map(|((o, plan), quality)| TargetPlan {
            target: o.target(),
            plan,
            quality,
        })
        .collect())
}
