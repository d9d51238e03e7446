//! Fitting the policy under S3's 20 KB (pure): every family's statements in each allowed form, rendered
//! when first needed and measured without the rest of the policy, and the first combination of forms that
//! fits ([`Fitter`]). The bytes of everything that is not one of trailhub's Allow statements are counted once
//! ([`Skeleton`]).

use serde_json::Value;

use super::error::{FormSize, SIZE_LIMIT};
use super::family::{FAMILIES, FormSpec, Wanted};
use super::input::PolicyInput;
use super::live::Live;
use super::render::{Kept, deny_foreign_prefix, render, statement};
use super::tls::{TLS_SID, deny_insecure_transport, is_tls_deny};

/// Counts the bytes written to it: a form's size is measured without holding its text.
#[derive(Default)]
struct ByteCount(usize);

impl std::io::Write for ByteCount {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len();
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The bytes of `v` written minified.
fn json_size(v: &Value) -> usize {
    let mut size = ByteCount::default();
    serde_json::to_writer(&mut size, v).expect("a JSON value serializes");
    size.0
}

/// One family's two statements in one form, as they would be written: a live statement that already says
/// exactly this is kept as it is, so a second run writes nothing.
#[derive(Default)]
pub(super) struct Placed {
    /// the AclCheck and Write statements; None where the family has none
    pub statements: [Option<Value>; 2],
    /// their minified bytes
    size: usize,
    pub changed: bool,
}

impl Placed {
    fn put(&mut self, slot: usize, value: Value, changed: bool) {
        self.size += json_size(&value);
        self.changed |= changed;
        self.statements[slot] = Some(value);
    }
}

/// The policy's statements with a place for each family's two Allow statements: the live statements,
/// trailhub's Denies as they must be, and `null` where an Allow statement goes (in place, else at the end).
/// Which statements there are does not depend on the forms, so neither do the bytes of the rest.
pub(super) struct Skeleton {
    pub statements: Vec<Value>,
    /// the places of each family's AclCheck and Write, in the order of [`FAMILIES`]
    pub slots: [[Option<usize>; 2]; 2],
    /// the bytes of the policy without the Allow statements
    fixed: usize,
    /// the document changes whatever the forms (a list written for a single statement, a Deny added or set
    /// right)
    pub changed: bool,
    pub created: Vec<String>,
}

impl Skeleton {
    fn new(l: &Live, input: &PolicyInput, wanted: &[Wanted; 2]) -> Skeleton {
        let mut statements = l.statements.clone();
        let mut changed = l.normalized || l.doc.get("Version").is_none() && l.statements.is_empty();
        let mut created = Vec::new();
        let mut slots = [[None; 2]; 2];
        for (f, family) in FAMILIES.iter().enumerate() {
            let (found, wanted) = (&l.found[f], !wanted[f].accounts.is_empty());
            for (k, at) in found.slots.iter().enumerate() {
                slots[f][k] = match at {
                    Some((i, _)) => Some(*i),
                    None if wanted => {
                        statements.push(Value::Null);
                        created.push(found.sids[k].to_owned());
                        changed = true;
                        Some(statements.len() - 1)
                    }
                    None => None,
                };
            }
            if !wanted && found.deny.is_none() {
                continue;
            }
            let want = deny_foreign_prefix(family, input);
            match found.deny {
                Some(i) if statements[i] == want => {}
                Some(i) => {
                    statements[i] = want;
                    changed = true;
                }
                None => {
                    statements.push(want);
                    created.push(family.deny_sid.to_owned());
                    changed = true;
                }
            }
        }
        changed |= place_tls_deny(l, input, &mut statements, &mut created);
        let places = || slots.iter().flatten().flatten();
        for i in places() {
            statements[*i] = Value::Null;
        }
        let mut doc = l.doc.clone();
        doc.insert("Statement".into(), Value::Array(statements));
        let with_nulls = json_size(&Value::Object(doc.clone()));
        let Some(Value::Array(statements)) = doc.remove("Statement") else {
            unreachable!("just inserted")
        };
        Skeleton {
            fixed: with_nulls - "null".len() * places().count(),
            statements,
            slots,
            changed,
            created,
        }
    }
}

/// Sets trailhub's TLS-only Deny right, or adds it when no statement refuses requests without TLS yet (another
/// writer's equivalent Deny counts: no second one is added). Whether the statements changed.
fn place_tls_deny(
    l: &Live,
    input: &PolicyInput,
    statements: &mut Vec<Value>,
    created: &mut Vec<String>,
) -> bool {
    let bucket = input.bucket_arn();
    let want = deny_insecure_transport(&bucket);
    match l.tls {
        Some(i) if statements[i] == want => false,
        Some(i) => {
            statements[i] = want;
            true
        }
        None if l
            .statements
            .iter()
            .filter_map(Value::as_object)
            .any(|s| is_tls_deny(s, &bucket)) =>
        {
            false
        }
        None => {
            statements.push(want);
            created.push(TLS_SID.to_owned());
            true
        }
    }
}

/// Chooses the forms of the families: each family's statements in each allowed form, rendered when first
/// needed, and the bytes of every combination. A combination is the CloudTrail form's index and the
/// delivery.logs form's, None when that family is absent.
pub(super) struct Fitter<'a> {
    pub l: &'a Live,
    pub input: &'a PolicyInput<'a>,
    pub skeleton: Skeleton,
    pub wanted: [Wanted; 2],
    kept: [Kept; 2],
    /// each family's forms, most specific first; the delivery.logs' are empty when the policy has none of
    /// its statements and the config wants none
    pub forms: [Vec<&'static FormSpec>; 2],
    placed: [Vec<Option<Result<Placed, String>>>; 2],
}

pub(super) type Combination = (usize, Option<usize>);

impl<'a> Fitter<'a> {
    pub fn new(
        l: &'a Live,
        input: &'a PolicyInput<'a>,
        forms: [Vec<&'static FormSpec>; 2],
    ) -> Self {
        let wanted = FAMILIES.map(|f| (f.wanted)(input));
        let kept = [0, 1].map(|f| Kept::of(FAMILIES[f], l.found[f].contents(), &wanted[f], input));
        Fitter {
            skeleton: Skeleton::new(l, input, &wanted),
            placed: forms.each_ref().map(|f| f.iter().map(|_| None).collect()),
            wanted,
            kept,
            forms,
            l,
            input,
        }
    }

    /// Family `f`'s statements in its `k`th form.
    fn placed(&mut self, f: usize, k: usize) -> Result<&Placed, &str> {
        if self.placed[f][k].is_none() {
            let placed = self.place(f, self.forms[f][k]);
            self.placed[f][k] = Some(placed);
        }
        match self.placed[f][k].as_ref() {
            Some(Ok(p)) => Ok(p),
            Some(Err(why)) => Err(why),
            None => unreachable!("just placed"),
        }
    }

    /// The CloudTrail statements in the `i`th form.
    fn trail(&mut self, i: usize) -> Result<&Placed, &str> {
        self.placed(0, i)
    }

    /// The delivery.logs statements in the `j`th form; nothing when the family is absent.
    fn log(&mut self, j: Option<usize>) -> Result<Option<&Placed>, &str> {
        j.map(|j| self.placed(1, j)).transpose()
    }

    /// Family `f`'s statements in `spec`'s form, each kept as it is when the live one says the same.
    fn place(&self, f: usize, spec: &FormSpec) -> Result<Placed, String> {
        let (family, l, found) = (FAMILIES[f], self.l, &self.l.found[f]);
        let contents = render(family, spec, self.input, &self.wanted[f], &self.kept[f])?;
        let mut placed = Placed::default();
        for (k, mut content) in contents.into_iter().enumerate() {
            if self.skeleton.slots[f][k].is_none() {
                continue;
            }
            if let Some((i, live)) = &found.slots[k] {
                content.extra = live.extra.clone();
                if *live == content {
                    placed.put(k, l.statements[*i].clone(), false);
                    continue;
                }
            }
            let value = statement(family, &family.slots[k], found.sids[k], &content);
            placed.put(k, value, true);
        }
        Ok(placed)
    }

    /// The policy's bytes in the combination; or why one of its forms cannot be used.
    fn size(&mut self, (i, j): Combination) -> Result<usize, String> {
        let trail = self.trail(i).map_err(str::to_owned)?.size;
        let log = self.log(j).map_err(str::to_owned)?.map_or(0, |p| p.size);
        Ok(self.skeleton.fixed + trail + log)
    }

    /// Every combination, in the order they are tried ([`order`]).
    fn combinations(&self) -> Vec<Combination> {
        let logs: Vec<Option<usize>> = if self.forms[1].is_empty() {
            vec![None]
        } else {
            (0..self.forms[1].len()).map(Some).collect()
        };
        let mut all: Vec<Combination> = (0..self.forms[0].len())
            .flat_map(|i| logs.iter().map(move |j| (i, *j)))
            .collect();
        all.sort_by_key(|(i, j)| order(self.forms[0][*i], j.map(|j| self.forms[1][j])));
        all
    }

    /// The first combination that can be used and fits.
    pub fn best(&mut self) -> Option<Combination> {
        self.combinations()
            .into_iter()
            .find(|c| self.size(*c).is_ok_and(|n| n <= SIZE_LIMIT))
    }

    /// The size of the policy in the combination, or why it cannot be used, named by family `f`'s form.
    pub fn form_size(&mut self, f: usize, c: Combination) -> FormSize {
        let k = if f == 0 { Some(c.0) } else { c.1 };
        let form = self.forms[f][k.expect("the family is present")].form;
        match self.size(c) {
            Ok(n) => FormSize {
                form,
                size: Some(n),
                unusable: None,
            },
            Err(why) => FormSize {
                form,
                size: None,
                unusable: Some(why),
            },
        }
    }

    /// When nothing fits: each form's size with the other family in its smallest usable form.
    pub fn sizes_without_fit(&mut self) -> (Vec<FormSize>, Vec<FormSize>) {
        let smallest_log = (0..self.forms[1].len())
            .filter_map(|j| Some((self.log(Some(j)).ok()??.size, j)))
            .min()
            .map(|(_, j)| j);
        let smallest_trail = (0..self.forms[0].len())
            .filter_map(|i| Some((self.trail(i).ok()?.size, i)))
            .min()
            .map(|(_, i)| i);
        let mut sizes = Vec::new();
        for i in 0..self.forms[0].len() {
            let mut s = self.form_size(0, (i, smallest_log));
            if smallest_log.is_none() && !self.forms[1].is_empty() && s.unusable.is_none() {
                s.size = None;
            }
            sizes.push(s);
        }
        let mut log_sizes = Vec::new();
        for j in 0..self.forms[1].len() {
            let s = match smallest_trail {
                Some(i) => self.form_size(1, (i, Some(j))),
                None => FormSize {
                    form: self.forms[1][j].form,
                    size: None,
                    unusable: self.log(Some(j)).err().map(str::to_owned),
                },
            };
            log_sizes.push(s);
        }
        (sizes, log_sizes)
    }

    /// The policy in the combination, its bytes, and whether it differs from the live one.
    pub fn assemble(&mut self, c: Combination) -> (Value, usize, bool) {
        let size = self.size(c).expect("the chosen combination can be used");
        let mut statements = self.skeleton.statements.clone();
        let mut changed = self.skeleton.changed;
        for (f, k) in [(0, Some(c.0)), (1, c.1)] {
            let Some(placed) = k
                .and_then(|k| self.placed[f][k].take())
                .and_then(Result::ok)
            else {
                continue;
            };
            changed |= placed.changed;
            for (slot, value) in placed.statements.into_iter().enumerate() {
                if let (Some(at), Some(v)) = (self.skeleton.slots[f][slot], value) {
                    statements[at] = v;
                }
            }
        }
        let mut doc = self.l.doc.clone();
        doc.insert("Statement".into(), Value::Array(statements));
        (Value::Object(doc), size, changed)
    }
}

/// The order in which combinations of the two families' forms are tried: a policy is only as specific as
/// its widest family, so the widest is kept as narrow as possible first; then the two together as narrow
/// as possible; then, between two equally wide combinations, CloudTrail (the audit trail itself) the more
/// specific. With no delivery.logs statements this is the CloudTrail forms' own order.
fn order(ct: &FormSpec, log: Option<&FormSpec>) -> (u8, u8, u8) {
    let (c, d) = (ct.width, log.map_or(0, |l| l.width));
    (c.max(d), c + d, c)
}
