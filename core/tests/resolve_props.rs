//! Properties of the resolver on random graphs: every edge is honoured,
//! planted cycles are found and reported in cycle order, a graph with a
//! cycle still orders every service, and the same input always gives the
//! same output.
//!
//! An edge `u -> v` below means "v starts after u", written in the files
//! either as `after u` in v or as `before v` in u.

use std::collections::{BTreeMap, BTreeSet};

use init_core::resolve::{resolve, TargetOrder};
use init_core::{ServiceDef, ServiceType, Target};
use proptest::prelude::*;

/// Adds a name to a list of `after` or `before` names.
fn push(list: &mut Box<[String]>, name: String) {
    let mut names = std::mem::take(list).into_vec();
    names.push(name);
    *list = names.into();
}

fn name(index: usize) -> String {
    format!("s{index}")
}

fn service(index: usize, target: Target) -> ServiceDef {
    ServiceDef {
        name: name(index),
        description: String::new(),
        kind: ServiceType::Wait,
        respawn_limit: None,
        target,
        tty: None,
        after: Box::default(),
        before: Box::default(),
        exec: vec![vec!["true".to_string()]].into(),
        settings: Default::default(),
    }
}

/// Writes the edge `u -> v` in the form chosen.
fn add_edge(services: &mut [ServiceDef], u: usize, v: usize, as_after: bool) {
    if as_after {
        push(&mut services[v].after, name(u));
    } else {
        push(&mut services[u].before, name(v));
    }
}

/// Every edge the files express, as indices, both forms merged.
fn edges(services: &[ServiceDef]) -> BTreeSet<(usize, usize)> {
    let index: BTreeMap<&str, usize> = services
        .iter()
        .enumerate()
        .map(|(i, s)| (s.base(), i))
        .collect();
    let mut edges = BTreeSet::new();
    for (v, service) in services.iter().enumerate() {
        for u in service.after.iter().filter_map(|n| index.get(n.as_str())) {
            edges.insert((*u, v));
        }
        for w in service.before.iter().filter_map(|n| index.get(n.as_str())) {
            edges.insert((v, *w));
        }
    }
    edges
}

/// Where each service of the order stands; panics if one appears twice.
fn positions(order: &TargetOrder) -> BTreeMap<usize, usize> {
    let mut positions = BTreeMap::new();
    for (position, &index) in order.order.iter().enumerate() {
        assert!(
            positions.insert(index, position).is_none(),
            "{index} is ordered twice: {:?}",
            order.order
        );
    }
    positions
}

fn members(services: &[ServiceDef], target: Target) -> BTreeSet<usize> {
    (0..services.len())
        .filter(|&i| services[i].target == target)
        .collect()
}

/// The order holds exactly the target's services, and every predecessor
/// list points backwards within the target.
fn check_shape(services: &[ServiceDef], target: Target, order: &TargetOrder) {
    let positions = positions(order);
    let ordered: BTreeSet<usize> = positions.keys().copied().collect();
    assert_eq!(
        ordered,
        members(services, target),
        "order {:?}",
        order.order
    );
    assert_eq!(order.predecessors.len(), services.len());
    for (index, predecessors) in order.predecessors.iter().enumerate() {
        if services[index].target != target {
            assert!(predecessors.is_empty(), "{index} is not in {target}");
            continue;
        }
        for p in predecessors {
            assert!(
                positions[p] < positions[&index],
                "{p} is a predecessor of {index} but starts after it"
            );
        }
    }
}

const TARGETS: [Target; 3] = Target::ALL;

/// A random DAG over `n` services spread over the targets: a hidden
/// permutation decides the order, every edge points forward in it, each
/// is written in either form, some twice, and some names are of services
/// that do not exist.
fn dag() -> impl Strategy<Value = Vec<ServiceDef>> {
    (1..40usize).prop_flat_map(|n| {
        (
            Just((0..n).collect::<Vec<usize>>()).prop_shuffle(),
            prop::collection::vec(0..3usize, n),
            prop::collection::vec((0..n, 0..n, any::<bool>(), any::<bool>()), 0..n * 3),
            prop::collection::vec((0..n, 0..4usize, any::<bool>()), 0..6),
        )
            .prop_map(|(permutation, targets, edges, ghosts)| {
                let mut position = vec![0; permutation.len()];
                for (p, &i) in permutation.iter().enumerate() {
                    position[i] = p;
                }
                let mut services: Vec<ServiceDef> = targets
                    .iter()
                    .enumerate()
                    .map(|(i, &t)| service(i, TARGETS[t]))
                    .collect();
                for (a, b, as_after, twice) in edges {
                    if a == b {
                        continue;
                    }
                    let (u, v) = if position[a] < position[b] {
                        (a, b)
                    } else {
                        (b, a)
                    };
                    add_edge(&mut services, u, v, as_after);
                    if twice {
                        add_edge(&mut services, u, v, !as_after);
                    }
                }
                for (i, ghost, as_after) in ghosts {
                    let list = if as_after {
                        &mut services[i].after
                    } else {
                        &mut services[i].before
                    };
                    push(list, format!("ghost{ghost}"));
                }
                services
            })
    })
}

/// A random DAG in one target with a cycle of 2..=6 services planted in it.
fn dag_with_cycle() -> impl Strategy<Value = (Vec<ServiceDef>, Vec<usize>)> {
    (2..30usize).prop_flat_map(|n| {
        (
            Just((0..n).collect::<Vec<usize>>()).prop_shuffle(),
            prop::collection::vec((0..n, 0..n, any::<bool>()), 0..n * 2),
            Just((0..n).collect::<Vec<usize>>()).prop_shuffle(),
            2..=n.min(6),
            prop::collection::vec(any::<bool>(), 6),
        )
            .prop_map(|(permutation, edges, cycle_pick, cycle_len, forms)| {
                let n = permutation.len();
                let mut position = vec![0; n];
                for (p, &i) in permutation.iter().enumerate() {
                    position[i] = p;
                }
                let mut services: Vec<ServiceDef> =
                    (0..n).map(|i| service(i, Target::Boot)).collect();
                for (a, b, as_after) in edges {
                    if a != b {
                        let (u, v) = if position[a] < position[b] {
                            (a, b)
                        } else {
                            (b, a)
                        };
                        add_edge(&mut services, u, v, as_after);
                    }
                }
                let cycle: Vec<usize> = cycle_pick[..cycle_len].to_vec();
                for k in 0..cycle.len() {
                    let (u, v) = (cycle[k], cycle[(k + 1) % cycle.len()]);
                    add_edge(&mut services, u, v, forms[k]);
                }
                (services, cycle)
            })
    })
}

/// Instances of templates (`agetty@tty1`, `agetty@tty2`) in one target:
/// services share canonical names, and an edge names a template, so it
/// orders every instance. Returns the services and the template edges.
fn instances() -> impl Strategy<Value = (Vec<ServiceDef>, Vec<(usize, usize)>)> {
    (1..10usize, 1..30usize).prop_flat_map(|(templates, n)| {
        (
            Just((0..templates).collect::<Vec<usize>>()).prop_shuffle(),
            prop::collection::vec(0..templates, n),
            prop::collection::vec(
                (0..templates, 0..templates, any::<bool>()),
                0..templates * 2,
            ),
        )
            .prop_map(|(permutation, template_of, edges)| {
                let mut position = vec![0; permutation.len()];
                for (p, &t) in permutation.iter().enumerate() {
                    position[t] = p;
                }
                let mut services: Vec<ServiceDef> = template_of
                    .iter()
                    .enumerate()
                    .map(|(i, &t)| ServiceDef {
                        name: format!("{}@{i}", name(t)),
                        ..service(i, Target::Boot)
                    })
                    .collect();
                let mut template_edges = Vec::new();
                for (a, b, as_after) in edges {
                    if a == b {
                        continue;
                    }
                    let (u, v) = if position[a] < position[b] {
                        (a, b)
                    } else {
                        (b, a)
                    };
                    template_edges.push((u, v));
                    // Written in one instance of the template, as a file
                    // would be; instances of the same template share it.
                    for service in services.iter_mut() {
                        if as_after && service.base() == name(v) {
                            push(&mut service.after, name(u));
                        } else if !as_after && service.base() == name(u) {
                            push(&mut service.before, name(v));
                        }
                    }
                }
                (services, template_edges)
            })
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn an_edge_to_a_template_orders_every_instance((services, template_edges) in instances()) {
        let order = resolve(&services, Target::Boot);
        check_shape(&services, Target::Boot, &order);
        prop_assert!(order.cycles.is_empty());
        let positions = positions(&order);
        for (u, v) in template_edges {
            for (x, first) in services.iter().enumerate().filter(|(_, s)| s.base() == name(u)) {
                for (y, then) in services.iter().enumerate().filter(|(_, s)| s.base() == name(v)) {
                    prop_assert!(
                        positions[&x] < positions[&y],
                        "{} must start before {}: {:?}", first.name, then.name, order.order
                    );
                }
            }
        }
    }

    #[test]
    fn a_dag_resolves_with_every_edge_honoured(services in dag()) {
        let all_edges = edges(&services);
        for target in TARGETS {
            let order = resolve(&services, target);
            check_shape(&services, target, &order);
            prop_assert!(order.cycles.is_empty(), "cycles in a DAG: {:?}", order.cycles);
            prop_assert!(order.broken_edges.is_empty());
            let positions = positions(&order);
            for &(u, v) in &all_edges {
                if services[u].target != target || services[v].target != target {
                    continue;
                }
                prop_assert!(
                    positions[&u] < positions[&v],
                    "{} must start before {} in {}: {:?}", name(u), name(v), target, order.order
                );
                prop_assert!(
                    order.predecessors[v].contains(&u),
                    "{} is missing from the predecessors of {}", name(u), name(v)
                );
            }

            // Names that match no service of this target, and only those.
            let in_target: BTreeSet<&str> = services
                .iter()
                .filter(|s| s.target == target)
                .map(|s| s.base())
                .collect();
            let expected: BTreeSet<(usize, String)> = services
                .iter()
                .enumerate()
                .filter(|(_, s)| s.target == target)
                .flat_map(|(i, s)| s.after.iter().chain(&s.before).map(move |n| (i, n.clone())))
                .filter(|(_, n)| !in_target.contains(n.as_str()))
                .collect();
            let missing: BTreeSet<(usize, String)> = order.missing.iter().cloned().collect();
            prop_assert_eq!(missing, expected);
        }
    }

    /// Nothing but the edges of the files orders services, and among the
    /// services ready to start the one loaded first goes first: each step
    /// of the order takes the lowest index whose predecessors have all
    /// started.
    #[test]
    fn the_order_is_the_lowest_ready_service_first(services in dag()) {
        let all_edges = edges(&services);
        for target in TARGETS {
            let order = resolve(&services, target);
            for (v, predecessors) in order.predecessors.iter().enumerate() {
                // A set of (u, v) iterates by u: sorted, as the lists are.
                let expected: Vec<usize> = all_edges
                    .iter()
                    .filter(|&&(u, w)| w == v && services[u].target == target && services[v].target == target)
                    .map(|&(u, _)| u)
                    .collect();
                prop_assert_eq!(predecessors, &expected, "predecessors of {}", name(v));
            }
            let mut started = BTreeSet::new();
            for &next in &order.order {
                let lowest_ready = members(&services, target)
                    .into_iter()
                    .filter(|i| !started.contains(i))
                    .find(|&i| order.predecessors[i].iter().all(|p| started.contains(p)));
                prop_assert_eq!(Some(next), lowest_ready, "order {:?}", order.order);
                started.insert(next);
            }
        }
    }

    #[test]
    fn a_planted_cycle_is_found_in_cycle_order((services, planted) in dag_with_cycle()) {
        let all_edges = edges(&services);
        let order = resolve(&services, Target::Boot);
        check_shape(&services, Target::Boot, &order);
        prop_assert!(!order.cycles.is_empty(), "the cycle {planted:?} was not found");

        for cycle in &order.cycles {
            prop_assert!(!cycle.is_empty());
            let smallest = cycle.iter().min().copied();
            prop_assert_eq!(cycle.first().copied(), smallest, "cycle {:?} must start at its smallest index", cycle);
            for k in 0..cycle.len() {
                let (u, v) = (cycle[k], cycle[(k + 1) % cycle.len()]);
                prop_assert!(
                    all_edges.contains(&(u, v)),
                    "cycle {:?}: {} -> {} is not an edge of the files", cycle, name(u), name(v)
                );
            }
        }

        // Breaking the reported edges leaves an order that honours the rest.
        let positions = positions(&order);
        for edge in &order.broken_edges {
            prop_assert!(all_edges.contains(edge), "broke {edge:?}, which is no edge");
        }
        for &(u, v) in &all_edges {
            if !order.broken_edges.contains(&(u, v)) {
                prop_assert!(
                    positions[&u] < positions[&v],
                    "{} -> {} is neither broken nor honoured: {:?}", name(u), name(v), order.order
                );
            }
        }
    }

    #[test]
    fn the_same_input_gives_the_same_output(services in dag(), (cyclic, _) in dag_with_cycle()) {
        for target in TARGETS {
            prop_assert_eq!(resolve(&services, target), resolve(&services, target));
            prop_assert_eq!(resolve(&cyclic, target), resolve(&cyclic, target));
            let copy = services.clone();
            prop_assert_eq!(resolve(&services, target), resolve(&copy, target));
        }
    }
}

#[test]
fn a_service_after_itself_is_a_cycle_of_one_and_still_ordered() {
    let mut services = vec![service(0, Target::Boot), service(1, Target::Boot)];
    push(&mut services[0].after, name(0));
    push(&mut services[1].after, name(0));
    let order = resolve(&services, Target::Boot);
    check_shape(&services, Target::Boot, &order);
    assert_eq!(order.order, [0, 1]);
    assert_eq!(order.cycles, [vec![0]]);
}
