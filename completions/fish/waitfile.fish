complete -c waitfile -s h -l help -d 'Print help (see more with \'--help\')'
