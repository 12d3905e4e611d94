# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_init_sim_global_optspecs
    string join \n h/help
end

function __fish_init_sim_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_init_sim_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_init_sim_using_subcommand
    set -l cmd (__fish_init_sim_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c init-sim -n "__fish_init_sim_needs_command" -s h -l help -d 'Print help'
complete -c init-sim -n "__fish_init_sim_needs_command" -f -a "run" -d 'Replay a scenario file and print its trace; exit 1 if an invariant breaks'
complete -c init-sim -n "__fish_init_sim_needs_command" -f -a "boot" -d 'Simulate the boot of a configuration directory: predicted boot time and critical chain'
complete -c init-sim -n "__fish_init_sim_needs_command" -f -a "profile" -d 'Measure a real boot from init\'s trace (`init --trace FILE`, or `init-sim run --json`): each service\'s time from spawn to exit or to ready, and init\'s own time per spawn, as a profile for `boot --profile`'
complete -c init-sim -n "__fish_init_sim_needs_command" -f -a "fuzz" -d 'Run seeded random scenarios against the invariants; write a shrunk reproducer for every failing seed'
complete -c init-sim -n "__fish_init_sim_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c init-sim -n "__fish_init_sim_using_subcommand run" -l seed -d 'Shuffle the order of process exits that fall on the same millisecond (nothing else changes)' -r
complete -c init-sim -n "__fish_init_sim_using_subcommand run" -l json -d 'JSON lines instead of the text trace (with a view: its JSON)'
complete -c init-sim -n "__fish_init_sim_using_subcommand run" -l plot -d 'Print an SVG Gantt chart of the run'
complete -c init-sim -n "__fish_init_sim_using_subcommand run" -l dot -d 'Print the dependency graph in Graphviz\'s dot language'
complete -c init-sim -n "__fish_init_sim_using_subcommand run" -l critical-chain -d 'Print the chain of services that decided when each target completed'
complete -c init-sim -n "__fish_init_sim_using_subcommand run" -l blame -d 'Print the services by time from queued to ready, longest first'
complete -c init-sim -n "__fish_init_sim_using_subcommand run" -s h -l help -d 'Print help'
complete -c init-sim -n "__fish_init_sim_using_subcommand boot" -l config-dir -r -F
complete -c init-sim -n "__fish_init_sim_using_subcommand boot" -l takes -d 'Assume PROGRAM takes DURATION (e.g. `--takes ssh-keygen=2s`); every other command takes no time except `sleep X`. Repeatable' -r
complete -c init-sim -n "__fish_init_sim_using_subcommand boot" -l profile -d 'Give the services a real boot measured (`init-sim profile`) the times they took, and init\'s own time per spawn; compare with that boot (with --plot: its chart beside the prediction)' -r -F
complete -c init-sim -n "__fish_init_sim_using_subcommand boot" -l json -d 'One JSON object instead of the text report (with a view: its JSON)'
complete -c init-sim -n "__fish_init_sim_using_subcommand boot" -l plot -d 'Print an SVG Gantt chart of the run'
complete -c init-sim -n "__fish_init_sim_using_subcommand boot" -l dot -d 'Print the dependency graph in Graphviz\'s dot language'
complete -c init-sim -n "__fish_init_sim_using_subcommand boot" -l critical-chain -d 'Print the chain of services that decided when each target completed'
complete -c init-sim -n "__fish_init_sim_using_subcommand boot" -l blame -d 'Print the services by time from queued to ready, longest first'
complete -c init-sim -n "__fish_init_sim_using_subcommand boot" -l sequential -d 'One service at a time, as the original init'
complete -c init-sim -n "__fish_init_sim_using_subcommand boot" -s h -l help -d 'Print help'
complete -c init-sim -n "__fish_init_sim_using_subcommand profile" -s h -l help -d 'Print help'
complete -c init-sim -n "__fish_init_sim_using_subcommand fuzz" -l seeds -d 'How many seeds' -r
complete -c init-sim -n "__fish_init_sim_using_subcommand fuzz" -l start -d 'The first seed' -r
complete -c init-sim -n "__fish_init_sim_using_subcommand fuzz" -l services -d 'Services per scenario' -r
complete -c init-sim -n "__fish_init_sim_using_subcommand fuzz" -l out -d 'Where reproducers go' -r -F
complete -c init-sim -n "__fish_init_sim_using_subcommand fuzz" -l json -d 'One JSON object per failing seed and a summary object, one per line, instead of text'
complete -c init-sim -n "__fish_init_sim_using_subcommand fuzz" -s h -l help -d 'Print help'
complete -c init-sim -n "__fish_init_sim_using_subcommand help; and not __fish_seen_subcommand_from run boot profile fuzz help" -f -a "run" -d 'Replay a scenario file and print its trace; exit 1 if an invariant breaks'
complete -c init-sim -n "__fish_init_sim_using_subcommand help; and not __fish_seen_subcommand_from run boot profile fuzz help" -f -a "boot" -d 'Simulate the boot of a configuration directory: predicted boot time and critical chain'
complete -c init-sim -n "__fish_init_sim_using_subcommand help; and not __fish_seen_subcommand_from run boot profile fuzz help" -f -a "profile" -d 'Measure a real boot from init\'s trace (`init --trace FILE`, or `init-sim run --json`): each service\'s time from spawn to exit or to ready, and init\'s own time per spawn, as a profile for `boot --profile`'
complete -c init-sim -n "__fish_init_sim_using_subcommand help; and not __fish_seen_subcommand_from run boot profile fuzz help" -f -a "fuzz" -d 'Run seeded random scenarios against the invariants; write a shrunk reproducer for every failing seed'
complete -c init-sim -n "__fish_init_sim_using_subcommand help; and not __fish_seen_subcommand_from run boot profile fuzz help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
