"""Report delivery: channels (file, chat, mail), their settings, and the dispatcher.

``dispatch.deliver`` sends a rendered report to every enabled channel; each channel lives in
its own module behind the small ``base.Channel`` record and is registered in ``dispatch``.
"""
