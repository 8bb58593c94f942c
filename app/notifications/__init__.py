"""Notifications (issue #16): deadlines, breaches, 督办 and judicial-confirmation news delivered to work-chat
group robots (企业微信/政务微信, 钉钉) and signed webhooks, through an outbox written in the transaction of
what caused them."""
