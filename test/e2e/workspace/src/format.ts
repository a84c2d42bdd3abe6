import { total, type Order } from "./orders";

export function formatMoney(cents: number, currency = "EUR"): string {
  return new Intl.NumberFormat("en-GB", { style: "currency", currency }).format(cents);
}

export function describeOrder(order: Order): string {
  const items = order.lines.map((l) => `${l.quantity} × ${l.sku}`).join(", ");
  return `${order.customer}: ${items} — ${formatMoney(total(order))}`;
}
