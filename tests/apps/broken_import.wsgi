# A script that cannot even be imported: its daemon group serves nothing.
raise RuntimeError("this application is broken on purpose")
