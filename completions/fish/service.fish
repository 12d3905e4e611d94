# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_service_global_optspecs
    string join \n config-dir= template-dir= socket= h/help V/version
end

function __fish_service_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_service_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_service_using_subcommand
    set -l cmd (__fish_service_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c service -n "__fish_service_needs_command" -l config-dir -d 'Where enabled services live (symlinks to templates, or plain files)' -r -F
complete -c service -n "__fish_service_needs_command" -l template-dir -d 'Where the service templates live' -r -F
complete -c service -n "__fish_service_needs_command" -l socket -d 'The control socket of the running init (status, start, stop, restart, reload, and the reload after enable/disable)' -r -F
complete -c service -n "__fish_service_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c service -n "__fish_service_needs_command" -s V -l version -d 'Print version'
complete -c service -n "__fish_service_needs_command" -f -a "enable" -d 'Enable a service: link CONFIG_DIR/NAME[@ARG] to TEMPLATE_DIR/NAME'
complete -c service -n "__fish_service_needs_command" -f -a "disable" -d 'Disable a service: remove the symlink CONFIG_DIR/NAME[@ARG]'
complete -c service -n "__fish_service_needs_command" -f -a "list" -d 'List the enabled services in start order, target by target'
complete -c service -n "__fish_service_needs_command" -f -a "show" -d 'Show one service as parsed (enabled, else from its template)'
complete -c service -n "__fish_service_needs_command" -f -a "dumpscript" -d 'Print a shell script that runs the service\'s commands like the init'
complete -c service -n "__fish_service_needs_command" -f -a "verify" -d 'Check the files given (as one configuration), or the config dir'
complete -c service -n "__fish_service_needs_command" -f -a "status" -d 'Ask the running init how its services are: a table (NAME, STATE, PID, UPTIME, RUNS, DESCRIPTION), coloured on a terminal unless NO_COLOR is set'
complete -c service -n "__fish_service_needs_command" -f -a "start" -d 'Start the matching services (from done, failed or stopped)'
complete -c service -n "__fish_service_needs_command" -f -a "stop" -d 'Stop the matching services; they stay stopped until started'
complete -c service -n "__fish_service_needs_command" -f -a "restart" -d 'Stop the matching services, then start them again'
complete -c service -n "__fish_service_needs_command" -f -a "reload" -d 'Make the running init read its configuration again'
complete -c service -n "__fish_service_needs_command" -f -a "reexec" -d 'Make the running init hand its services over to the init binary on disk (a newer build, say) and go on as that: a live upgrade'
complete -c service -n "__fish_service_needs_command" -f -a "switch-root" -d 'End the initramfs: make the running init stop every service and hand the machine to the init of the root mounted at NEWROOT'
complete -c service -n "__fish_service_needs_command" -f -a "analyze" -d 'Read the boot: blame, critical-chain, plot (SVG) or dot (graph)'
complete -c service -n "__fish_service_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c service -n "__fish_service_using_subcommand enable" -l config-dir -d 'Where enabled services live (symlinks to templates, or plain files)' -r -F
complete -c service -n "__fish_service_using_subcommand enable" -l template-dir -d 'Where the service templates live' -r -F
complete -c service -n "__fish_service_using_subcommand enable" -l socket -d 'The control socket of the running init (status, start, stop, restart, reload, and the reload after enable/disable)' -r -F
complete -c service -n "__fish_service_using_subcommand enable" -s h -l help -d 'Print help'
complete -c service -n "__fish_service_using_subcommand disable" -l config-dir -d 'Where enabled services live (symlinks to templates, or plain files)' -r -F
complete -c service -n "__fish_service_using_subcommand disable" -l template-dir -d 'Where the service templates live' -r -F
complete -c service -n "__fish_service_using_subcommand disable" -l socket -d 'The control socket of the running init (status, start, stop, restart, reload, and the reload after enable/disable)' -r -F
complete -c service -n "__fish_service_using_subcommand disable" -s h -l help -d 'Print help'
complete -c service -n "__fish_service_using_subcommand list" -l config-dir -d 'Where enabled services live (symlinks to templates, or plain files)' -r -F
complete -c service -n "__fish_service_using_subcommand list" -l template-dir -d 'Where the service templates live' -r -F
complete -c service -n "__fish_service_using_subcommand list" -l socket -d 'The control socket of the running init (status, start, stop, restart, reload, and the reload after enable/disable)' -r -F
complete -c service -n "__fish_service_using_subcommand list" -l json -d 'Print a JSON array instead of a table'
complete -c service -n "__fish_service_using_subcommand list" -s h -l help -d 'Print help'
complete -c service -n "__fish_service_using_subcommand show" -l config-dir -d 'Where enabled services live (symlinks to templates, or plain files)' -r -F
complete -c service -n "__fish_service_using_subcommand show" -l template-dir -d 'Where the service templates live' -r -F
complete -c service -n "__fish_service_using_subcommand show" -l socket -d 'The control socket of the running init (status, start, stop, restart, reload, and the reload after enable/disable)' -r -F
complete -c service -n "__fish_service_using_subcommand show" -l json -d 'Print one JSON object instead of one field per line'
complete -c service -n "__fish_service_using_subcommand show" -s h -l help -d 'Print help'
complete -c service -n "__fish_service_using_subcommand dumpscript" -l config-dir -d 'Where enabled services live (symlinks to templates, or plain files)' -r -F
complete -c service -n "__fish_service_using_subcommand dumpscript" -l template-dir -d 'Where the service templates live' -r -F
complete -c service -n "__fish_service_using_subcommand dumpscript" -l socket -d 'The control socket of the running init (status, start, stop, restart, reload, and the reload after enable/disable)' -r -F
complete -c service -n "__fish_service_using_subcommand dumpscript" -s h -l help -d 'Print help'
complete -c service -n "__fish_service_using_subcommand verify" -l env-file -d 'The env file init gives every service; checked for who may write it' -r -F
complete -c service -n "__fish_service_using_subcommand verify" -l config-dir -d 'Where enabled services live (symlinks to templates, or plain files)' -r -F
complete -c service -n "__fish_service_using_subcommand verify" -l template-dir -d 'Where the service templates live' -r -F
complete -c service -n "__fish_service_using_subcommand verify" -l socket -d 'The control socket of the running init (status, start, stop, restart, reload, and the reload after enable/disable)' -r -F
complete -c service -n "__fish_service_using_subcommand verify" -l json -d 'Print one JSON object (counts and diagnostics) instead of lines and a summary'
complete -c service -n "__fish_service_using_subcommand verify" -s h -l help -d 'Print help'
complete -c service -n "__fish_service_using_subcommand status" -l config-dir -d 'Where enabled services live (symlinks to templates, or plain files)' -r -F
complete -c service -n "__fish_service_using_subcommand status" -l template-dir -d 'Where the service templates live' -r -F
complete -c service -n "__fish_service_using_subcommand status" -l socket -d 'The control socket of the running init (status, start, stop, restart, reload, and the reload after enable/disable)' -r -F
complete -c service -n "__fish_service_using_subcommand status" -l json -d 'Print a JSON array instead of a table'
complete -c service -n "__fish_service_using_subcommand status" -s d -l details -d 'Every field of every service, one block each'
complete -c service -n "__fish_service_using_subcommand status" -s h -l help -d 'Print help'
complete -c service -n "__fish_service_using_subcommand start" -l config-dir -d 'Where enabled services live (symlinks to templates, or plain files)' -r -F
complete -c service -n "__fish_service_using_subcommand start" -l template-dir -d 'Where the service templates live' -r -F
complete -c service -n "__fish_service_using_subcommand start" -l socket -d 'The control socket of the running init (status, start, stop, restart, reload, and the reload after enable/disable)' -r -F
complete -c service -n "__fish_service_using_subcommand start" -s h -l help -d 'Print help'
complete -c service -n "__fish_service_using_subcommand stop" -l config-dir -d 'Where enabled services live (symlinks to templates, or plain files)' -r -F
complete -c service -n "__fish_service_using_subcommand stop" -l template-dir -d 'Where the service templates live' -r -F
complete -c service -n "__fish_service_using_subcommand stop" -l socket -d 'The control socket of the running init (status, start, stop, restart, reload, and the reload after enable/disable)' -r -F
complete -c service -n "__fish_service_using_subcommand stop" -s h -l help -d 'Print help'
complete -c service -n "__fish_service_using_subcommand restart" -l config-dir -d 'Where enabled services live (symlinks to templates, or plain files)' -r -F
complete -c service -n "__fish_service_using_subcommand restart" -l template-dir -d 'Where the service templates live' -r -F
complete -c service -n "__fish_service_using_subcommand restart" -l socket -d 'The control socket of the running init (status, start, stop, restart, reload, and the reload after enable/disable)' -r -F
complete -c service -n "__fish_service_using_subcommand restart" -s h -l help -d 'Print help'
complete -c service -n "__fish_service_using_subcommand reload" -l config-dir -d 'Where enabled services live (symlinks to templates, or plain files)' -r -F
complete -c service -n "__fish_service_using_subcommand reload" -l template-dir -d 'Where the service templates live' -r -F
complete -c service -n "__fish_service_using_subcommand reload" -l socket -d 'The control socket of the running init (status, start, stop, restart, reload, and the reload after enable/disable)' -r -F
complete -c service -n "__fish_service_using_subcommand reload" -s h -l help -d 'Print help'
complete -c service -n "__fish_service_using_subcommand reexec" -l config-dir -d 'Where enabled services live (symlinks to templates, or plain files)' -r -F
complete -c service -n "__fish_service_using_subcommand reexec" -l template-dir -d 'Where the service templates live' -r -F
complete -c service -n "__fish_service_using_subcommand reexec" -l socket -d 'The control socket of the running init (status, start, stop, restart, reload, and the reload after enable/disable)' -r -F
complete -c service -n "__fish_service_using_subcommand reexec" -s h -l help -d 'Print help'
complete -c service -n "__fish_service_using_subcommand switch-root" -l config-dir -d 'Where enabled services live (symlinks to templates, or plain files)' -r -F
complete -c service -n "__fish_service_using_subcommand switch-root" -l template-dir -d 'Where the service templates live' -r -F
complete -c service -n "__fish_service_using_subcommand switch-root" -l socket -d 'The control socket of the running init (status, start, stop, restart, reload, and the reload after enable/disable)' -r -F
complete -c service -n "__fish_service_using_subcommand switch-root" -s h -l help -d 'Print help'
complete -c service -n "__fish_service_using_subcommand analyze; and not __fish_seen_subcommand_from blame critical-chain plot dot help" -l config-dir -d 'Where enabled services live (symlinks to templates, or plain files)' -r -F
complete -c service -n "__fish_service_using_subcommand analyze; and not __fish_seen_subcommand_from blame critical-chain plot dot help" -l template-dir -d 'Where the service templates live' -r -F
complete -c service -n "__fish_service_using_subcommand analyze; and not __fish_seen_subcommand_from blame critical-chain plot dot help" -l socket -d 'The control socket of the running init (status, start, stop, restart, reload, and the reload after enable/disable)' -r -F
complete -c service -n "__fish_service_using_subcommand analyze; and not __fish_seen_subcommand_from blame critical-chain plot dot help" -s h -l help -d 'Print help'
complete -c service -n "__fish_service_using_subcommand analyze; and not __fish_seen_subcommand_from blame critical-chain plot dot help" -f -a "blame" -d 'Services by time from queued to ready (or done), longest first'
complete -c service -n "__fish_service_using_subcommand analyze; and not __fish_seen_subcommand_from blame critical-chain plot dot help" -f -a "critical-chain" -d 'For each target that completed, the chain of services that decided when it did'
complete -c service -n "__fish_service_using_subcommand analyze; and not __fish_seen_subcommand_from blame critical-chain plot dot help" -f -a "plot" -d 'An SVG Gantt chart of the boot, one row per service, on stdout'
complete -c service -n "__fish_service_using_subcommand analyze; and not __fish_seen_subcommand_from blame critical-chain plot dot help" -f -a "dot" -d 'The dependency graph in Graphviz\'s dot language, on stdout'
complete -c service -n "__fish_service_using_subcommand analyze; and not __fish_seen_subcommand_from blame critical-chain plot dot help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c service -n "__fish_service_using_subcommand analyze; and __fish_seen_subcommand_from blame" -l config-dir -d 'Where enabled services live (symlinks to templates, or plain files)' -r -F
complete -c service -n "__fish_service_using_subcommand analyze; and __fish_seen_subcommand_from blame" -l template-dir -d 'Where the service templates live' -r -F
complete -c service -n "__fish_service_using_subcommand analyze; and __fish_seen_subcommand_from blame" -l socket -d 'The control socket of the running init (status, start, stop, restart, reload, and the reload after enable/disable)' -r -F
complete -c service -n "__fish_service_using_subcommand analyze; and __fish_seen_subcommand_from blame" -l json -d 'Print a JSON object instead of a table'
complete -c service -n "__fish_service_using_subcommand analyze; and __fish_seen_subcommand_from blame" -s h -l help -d 'Print help'
complete -c service -n "__fish_service_using_subcommand analyze; and __fish_seen_subcommand_from critical-chain" -l config-dir -d 'Where enabled services live (symlinks to templates, or plain files)' -r -F
complete -c service -n "__fish_service_using_subcommand analyze; and __fish_seen_subcommand_from critical-chain" -l template-dir -d 'Where the service templates live' -r -F
complete -c service -n "__fish_service_using_subcommand analyze; and __fish_seen_subcommand_from critical-chain" -l socket -d 'The control socket of the running init (status, start, stop, restart, reload, and the reload after enable/disable)' -r -F
complete -c service -n "__fish_service_using_subcommand analyze; and __fish_seen_subcommand_from critical-chain" -l json -d 'Print a JSON array instead of a tree'
complete -c service -n "__fish_service_using_subcommand analyze; and __fish_seen_subcommand_from critical-chain" -s h -l help -d 'Print help'
complete -c service -n "__fish_service_using_subcommand analyze; and __fish_seen_subcommand_from plot" -l config-dir -d 'Where enabled services live (symlinks to templates, or plain files)' -r -F
complete -c service -n "__fish_service_using_subcommand analyze; and __fish_seen_subcommand_from plot" -l template-dir -d 'Where the service templates live' -r -F
complete -c service -n "__fish_service_using_subcommand analyze; and __fish_seen_subcommand_from plot" -l socket -d 'The control socket of the running init (status, start, stop, restart, reload, and the reload after enable/disable)' -r -F
complete -c service -n "__fish_service_using_subcommand analyze; and __fish_seen_subcommand_from plot" -l json -d 'Print the times the chart is drawn from, as JSON'
complete -c service -n "__fish_service_using_subcommand analyze; and __fish_seen_subcommand_from plot" -s h -l help -d 'Print help'
complete -c service -n "__fish_service_using_subcommand analyze; and __fish_seen_subcommand_from dot" -l config-dir -d 'Where enabled services live (symlinks to templates, or plain files)' -r -F
complete -c service -n "__fish_service_using_subcommand analyze; and __fish_seen_subcommand_from dot" -l template-dir -d 'Where the service templates live' -r -F
complete -c service -n "__fish_service_using_subcommand analyze; and __fish_seen_subcommand_from dot" -l socket -d 'The control socket of the running init (status, start, stop, restart, reload, and the reload after enable/disable)' -r -F
complete -c service -n "__fish_service_using_subcommand analyze; and __fish_seen_subcommand_from dot" -l offline -d 'Read the services from --config-dir instead of asking init'
complete -c service -n "__fish_service_using_subcommand analyze; and __fish_seen_subcommand_from dot" -l json -d 'Print the nodes and edges as JSON'
complete -c service -n "__fish_service_using_subcommand analyze; and __fish_seen_subcommand_from dot" -s h -l help -d 'Print help'
complete -c service -n "__fish_service_using_subcommand analyze; and __fish_seen_subcommand_from help" -f -a "blame" -d 'Services by time from queued to ready (or done), longest first'
complete -c service -n "__fish_service_using_subcommand analyze; and __fish_seen_subcommand_from help" -f -a "critical-chain" -d 'For each target that completed, the chain of services that decided when it did'
complete -c service -n "__fish_service_using_subcommand analyze; and __fish_seen_subcommand_from help" -f -a "plot" -d 'An SVG Gantt chart of the boot, one row per service, on stdout'
complete -c service -n "__fish_service_using_subcommand analyze; and __fish_seen_subcommand_from help" -f -a "dot" -d 'The dependency graph in Graphviz\'s dot language, on stdout'
complete -c service -n "__fish_service_using_subcommand analyze; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c service -n "__fish_service_using_subcommand help; and not __fish_seen_subcommand_from enable disable list show dumpscript verify status start stop restart reload reexec switch-root analyze help" -f -a "enable" -d 'Enable a service: link CONFIG_DIR/NAME[@ARG] to TEMPLATE_DIR/NAME'
complete -c service -n "__fish_service_using_subcommand help; and not __fish_seen_subcommand_from enable disable list show dumpscript verify status start stop restart reload reexec switch-root analyze help" -f -a "disable" -d 'Disable a service: remove the symlink CONFIG_DIR/NAME[@ARG]'
complete -c service -n "__fish_service_using_subcommand help; and not __fish_seen_subcommand_from enable disable list show dumpscript verify status start stop restart reload reexec switch-root analyze help" -f -a "list" -d 'List the enabled services in start order, target by target'
complete -c service -n "__fish_service_using_subcommand help; and not __fish_seen_subcommand_from enable disable list show dumpscript verify status start stop restart reload reexec switch-root analyze help" -f -a "show" -d 'Show one service as parsed (enabled, else from its template)'
complete -c service -n "__fish_service_using_subcommand help; and not __fish_seen_subcommand_from enable disable list show dumpscript verify status start stop restart reload reexec switch-root analyze help" -f -a "dumpscript" -d 'Print a shell script that runs the service\'s commands like the init'
complete -c service -n "__fish_service_using_subcommand help; and not __fish_seen_subcommand_from enable disable list show dumpscript verify status start stop restart reload reexec switch-root analyze help" -f -a "verify" -d 'Check the files given (as one configuration), or the config dir'
complete -c service -n "__fish_service_using_subcommand help; and not __fish_seen_subcommand_from enable disable list show dumpscript verify status start stop restart reload reexec switch-root analyze help" -f -a "status" -d 'Ask the running init how its services are: a table (NAME, STATE, PID, UPTIME, RUNS, DESCRIPTION), coloured on a terminal unless NO_COLOR is set'
complete -c service -n "__fish_service_using_subcommand help; and not __fish_seen_subcommand_from enable disable list show dumpscript verify status start stop restart reload reexec switch-root analyze help" -f -a "start" -d 'Start the matching services (from done, failed or stopped)'
complete -c service -n "__fish_service_using_subcommand help; and not __fish_seen_subcommand_from enable disable list show dumpscript verify status start stop restart reload reexec switch-root analyze help" -f -a "stop" -d 'Stop the matching services; they stay stopped until started'
complete -c service -n "__fish_service_using_subcommand help; and not __fish_seen_subcommand_from enable disable list show dumpscript verify status start stop restart reload reexec switch-root analyze help" -f -a "restart" -d 'Stop the matching services, then start them again'
complete -c service -n "__fish_service_using_subcommand help; and not __fish_seen_subcommand_from enable disable list show dumpscript verify status start stop restart reload reexec switch-root analyze help" -f -a "reload" -d 'Make the running init read its configuration again'
complete -c service -n "__fish_service_using_subcommand help; and not __fish_seen_subcommand_from enable disable list show dumpscript verify status start stop restart reload reexec switch-root analyze help" -f -a "reexec" -d 'Make the running init hand its services over to the init binary on disk (a newer build, say) and go on as that: a live upgrade'
complete -c service -n "__fish_service_using_subcommand help; and not __fish_seen_subcommand_from enable disable list show dumpscript verify status start stop restart reload reexec switch-root analyze help" -f -a "switch-root" -d 'End the initramfs: make the running init stop every service and hand the machine to the init of the root mounted at NEWROOT'
complete -c service -n "__fish_service_using_subcommand help; and not __fish_seen_subcommand_from enable disable list show dumpscript verify status start stop restart reload reexec switch-root analyze help" -f -a "analyze" -d 'Read the boot: blame, critical-chain, plot (SVG) or dot (graph)'
complete -c service -n "__fish_service_using_subcommand help; and not __fish_seen_subcommand_from enable disable list show dumpscript verify status start stop restart reload reexec switch-root analyze help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c service -n "__fish_service_using_subcommand help; and __fish_seen_subcommand_from analyze" -f -a "blame" -d 'Services by time from queued to ready (or done), longest first'
complete -c service -n "__fish_service_using_subcommand help; and __fish_seen_subcommand_from analyze" -f -a "critical-chain" -d 'For each target that completed, the chain of services that decided when it did'
complete -c service -n "__fish_service_using_subcommand help; and __fish_seen_subcommand_from analyze" -f -a "plot" -d 'An SVG Gantt chart of the boot, one row per service, on stdout'
complete -c service -n "__fish_service_using_subcommand help; and __fish_seen_subcommand_from analyze" -f -a "dot" -d 'The dependency graph in Graphviz\'s dot language, on stdout'
