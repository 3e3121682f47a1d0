/**
 * The taste clusters planted in the demo data. Each spans several product categories,
 * so a recommender that recovers the clusters recommends across categories ("bought
 * the shoe → here is the hydration vest"), which category filters alone cannot do.
 */
export interface DemoProduct {
  name: string;
  category: "shoes" | "apparel" | "gear" | "books" | "accessories" | "grocery";
  /** Typical price; each item varies around it. */
  price: number;
}

export interface DemoCluster {
  name: string;
  slug: string;
  products: readonly DemoProduct[];
}

export const DEMO_CLUSTERS: readonly DemoCluster[] = [
  {
    name: "trail running",
    slug: "trail-running",
    products: [
      { name: "Trail running shoe", category: "shoes", price: 130 },
      { name: "Running shorts", category: "apparel", price: 40 },
      { name: "Technical running tee", category: "apparel", price: 35 },
      { name: "Hydration vest", category: "gear", price: 110 },
      { name: "Running headlamp", category: "gear", price: 60 },
      { name: "Merino running socks", category: "accessories", price: 18 },
      { name: "GPS running watch", category: "accessories", price: 300 },
      { name: "Trail running guide", category: "books", price: 22 },
    ],
  },
  {
    name: "espresso",
    slug: "espresso",
    products: [
      { name: "Espresso machine", category: "gear", price: 650 },
      { name: "Burr grinder", category: "gear", price: 220 },
      { name: "Espresso tamper", category: "accessories", price: 35 },
      { name: "Milk frothing pitcher", category: "accessories", price: 25 },
      { name: "Espresso cup set", category: "accessories", price: 30 },
      { name: "Single-origin espresso beans", category: "grocery", price: 16 },
      { name: "Home barista handbook", category: "books", price: 28 },
      { name: "Barista apron", category: "apparel", price: 32 },
    ],
  },
  {
    name: "baking",
    slug: "baking",
    products: [
      { name: "Stand mixer", category: "gear", price: 420 },
      { name: "Bread proofing basket", category: "accessories", price: 24 },
      { name: "Silicone baking mat", category: "accessories", price: 15 },
      { name: "Dutch oven", category: "gear", price: 180 },
      { name: "Bread flour", category: "grocery", price: 8 },
      { name: "Sourdough cookbook", category: "books", price: 30 },
      { name: "Baking apron", category: "apparel", price: 28 },
      { name: "Bench scraper", category: "accessories", price: 12 },
    ],
  },
  {
    name: "yoga",
    slug: "yoga",
    products: [
      { name: "Yoga mat", category: "gear", price: 70 },
      { name: "Cork yoga block", category: "gear", price: 20 },
      { name: "Yoga leggings", category: "apparel", price: 65 },
      { name: "Yoga strap", category: "accessories", price: 12 },
      { name: "Meditation cushion", category: "accessories", price: 45 },
      { name: "Yoga anatomy book", category: "books", price: 26 },
      { name: "Breathable yoga top", category: "apparel", price: 38 },
      { name: "Grip yoga socks", category: "accessories", price: 14 },
    ],
  },
  {
    name: "camping",
    slug: "camping",
    products: [
      { name: "Two-person tent", category: "gear", price: 280 },
      { name: "Down sleeping bag", category: "gear", price: 240 },
      { name: "Camp stove", category: "gear", price: 90 },
      { name: "Hiking boot", category: "shoes", price: 170 },
      { name: "Fleece jacket", category: "apparel", price: 85 },
      { name: "Camping lantern", category: "accessories", price: 35 },
      { name: "Backcountry camping guide", category: "books", price: 24 },
      { name: "Freeze-dried meal", category: "grocery", price: 11 },
    ],
  },
  {
    name: "gaming",
    slug: "gaming",
    products: [
      { name: "Gaming mouse", category: "gear", price: 70 },
      { name: "Mechanical keyboard", category: "gear", price: 140 },
      { name: "Gaming headset", category: "gear", price: 110 },
      { name: "Wireless controller", category: "accessories", price: 60 },
      { name: "XL mouse pad", category: "accessories", price: 25 },
      { name: "Gamer hoodie", category: "apparel", price: 55 },
      { name: "Game art book", category: "books", price: 40 },
      { name: "Energy drink pack", category: "grocery", price: 20 },
    ],
  },
  {
    name: "gardening",
    slug: "gardening",
    products: [
      { name: "Pruning shears", category: "gear", price: 35 },
      { name: "Expandable garden hose", category: "gear", price: 45 },
      { name: "Gardening gloves", category: "apparel", price: 18 },
      { name: "Garden clogs", category: "shoes", price: 40 },
      { name: "Terracotta plant pot", category: "accessories", price: 22 },
      { name: "Heirloom seed pack", category: "grocery", price: 9 },
      { name: "Vegetable gardening handbook", category: "books", price: 25 },
      { name: "Raised garden bed", category: "gear", price: 130 },
    ],
  },
  {
    name: "photography",
    slug: "photography",
    products: [
      { name: "Prime camera lens", category: "gear", price: 450 },
      { name: "Travel tripod", category: "gear", price: 160 },
      { name: "Camera sling bag", category: "accessories", price: 75 },
      { name: "High-speed memory card", category: "accessories", price: 40 },
      { name: "Lens filter kit", category: "accessories", price: 60 },
      { name: "Street photography book", category: "books", price: 35 },
      { name: "Photographer vest", category: "apparel", price: 70 },
      { name: "Camera cleaning kit", category: "accessories", price: 20 },
    ],
  },
];
