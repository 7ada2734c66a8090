from offtui.cli import main

raise SystemExit(main())
