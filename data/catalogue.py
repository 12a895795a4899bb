"""The store's product hierarchy: 29 categories (one aisle each), 278 subcategories, 1,142 SKUs.

Each category lists its subcategories and the parameters its products are drawn from. SKU counts are
per category; they are spread over the subcategories as evenly as possible (the first ones get the
remainder), so every subcategory has at least one product.
"""

from __future__ import annotations

from dataclasses import dataclass

PERISHABLE = frozenset({"FRUITS AND VEGETABLES", "REFRIGERATED", "FROZEN", "MEAT", "FISH"})
# Cold-chain categories keep in the warehouse about what the shelf holds.
WAREHOUSE_EQUAL_STORE = frozenset({"REFRIGERATED", "FROZEN", "MEAT", "FISH"})
BEVERAGE_LIKE = frozenset(
    {"BEVERAGES", "BEERS", "WINES", "LONG-LIFE DAIRY", "HOT BEVERAGES", "VINEGAR AND OIL"}
)
# Upper bounds of the max-stock ranges are widened by this factor (rounded up) before drawing.
STOCK_RANGE_WIDENING = 1.3


@dataclass(frozen=True)
class Category:
    name: str
    aisle: int
    skus: int
    subcategories: tuple[str, ...]
    store_max: tuple[int, int]
    warehouse_max: tuple[int, int] | None  # None: derived from the store capacity (cold chain)
    price: tuple[float, float]
    weight: tuple[int, ...] | tuple[int, int]  # options, or a (lo, hi) range when `weight_is_range`
    weight_is_range: bool = True

    @property
    def perishable(self) -> bool:
        return self.name in PERISHABLE


def _c(name, aisle, skus, subs, store, wh, price, weight, is_range=True) -> Category:
    return Category(
        name, aisle, skus, tuple(s.strip() for s in subs.split(",")), store, wh, price, weight, is_range
    )


# fmt: off
CATEGORIES: tuple[Category, ...] = (
    _c("BEVERAGES", 1, 52,
       "Water, Sparkling water, Cola, Orange soda, Iced tea, Fruit juice, Energy drinks, Sports drinks",
       (24, 40), (150, 500), (0.5, 3.5), (330, 500, 1000, 1500, 2000), False),
    _c("SPIRITS AND APERITIFS", 2, 32,
       "Vodka, Gin, Rum, Whisky, Grappa, Brandy, Liqueurs, Amaro, Aperitifs, Vermouth, Tequila",
       (12, 32), (100, 300), (6.0, 45.0), (500, 700, 1000), False),
    _c("BEERS", 3, 28,
       "Lager, Craft beer, Non-alcoholic beer, Dark beer, Wheat beer",
       (24, 45), (150, 500), (0.8, 6.0), (330, 500, 660), False),
    _c("WINES", 4, 72,
       "Red wine, White wine, Rose wine, Sparkling wine, Prosecco, Champagne, Dessert wine, Boxed wine, "
       "Organic wine",
       (12, 38), (100, 400), (3.0, 40.0), (750, 1500, 3000), False),
    _c("LONG-LIFE DAIRY", 5, 20,
       "UHT milk, Plant-based drinks, Condensed milk, Cream",
       (36, 56), (200, 600), (0.7, 3.5), (200, 500, 1000), False),
    _c("HOUSEHOLD GOODS", 6, 23,
       "Paper towels, Toilet paper, Aluminium foil, Cling film, Trash bags, Food containers, Napkins, "
       "Batteries",
       (30, 55), (150, 500), (1.0, 9.0), (100, 1500)),
    _c("BATH AND PERSONAL CARE", 7, 147,
       "Shampoo, Conditioner, Shower gel, Bar soap, Liquid soap, Toothpaste, Toothbrushes, Mouthwash, "
       "Dental floss, Deodorant, Body lotion, Face cream, Face cleanser, Sunscreen, Razors, Shaving "
       "foam, Aftershave, Hair dye, Hair styling, Cotton pads, Cotton buds, Sanitary pads, Tampons, Hand "
       "cream, Lip balm, Makeup remover, Wet wipes, Foot care",
       (25, 50), (150, 450), (0.9, 15.0), (30, 600)),
    _c("LAUNDRY PRODUCTS", 8, 31,
       "Liquid detergent, Powder detergent, Detergent pods, Fabric softener, Stain remover, Bleach, Hand "
       "wash detergent, Ironing aids",
       (20, 42), (120, 400), (1.5, 14.0), (500, 3000)),
    _c("HOUSE CLEANING PRODUCTS", 9, 57,
       "Dish soap, Dishwasher tablets, Dishwasher salt, Rinse aid, Multi-surface cleaner, Glass cleaner, "
       "Bathroom cleaner, Kitchen degreaser, Floor cleaner, Toilet cleaner, Limescale remover, Sponges, "
       "Cleaning cloths, Air fresheners",
       (24, 48), (150, 450), (0.8, 8.0), (50, 1500)),
    _c("BABY PRODUCTS", 10, 36,
       "Diapers, Baby wipes, Baby food, Infant formula, Baby shampoo, Baby snacks",
       (24, 50), (120, 400), (1.0, 25.0), (80, 1200)),
    _c("FRUITS AND VEGETABLES", 11, 57,
       "Apples, Pears, Bananas, Oranges, Lemons, Mandarins, Grapes, Strawberries, Blueberries, Kiwis, "
       "Pineapples, Melons, Watermelons, Peaches, Apricots, Plums, Cherries, Avocados, Mangoes, "
       "Tomatoes, Cucumbers, Zucchini, Eggplants, Peppers, Carrots, Potatoes, Onions, Garlic, Lettuce, "
       "Spinach, Rocket, Broccoli, Cauliflower, Cabbage, Fennel, Celery, Mushrooms, Green beans, Leeks, "
       "Pumpkins, Fresh herbs, Salad mixes",
       (45, 80), (150, 450), (0.6, 6.0), (50, 2500)),
    _c("LONG-LIFE FRUIT", 12, 26,
       "Dried fruit, Nuts, Dried apricots, Raisins, Fruit in syrup, Fruit purees, Dates",
       (30, 55), (150, 450), (1.0, 8.0), (100, 500)),
    _c("SWEETS AND BREAKFAST", 13, 116,
       "Cookies, Breakfast cereals, Muesli, Rusks, Snack cakes, Croissants, Jam, Honey, Chocolate "
       "spread, Chocolate bars, Pralines, Candies, Chewing gum, Lollipops, Cereal bars, Cakes, Sponge "
       "fingers, Wafers, Marshmallows",
       (36, 62), (200, 500), (0.8, 9.0), (30, 1000)),
    _c("FLOURS AND SUGAR", 14, 19,
       "Flour, Sugar, Baking powder, Cake mixes, Sweeteners",
       (45, 75), (250, 600), (0.5, 4.0), (16, 1000)),
    _c("PASTA AND RICE", 15, 49,
       "Pasta, Egg pasta, Whole wheat pasta, Rice, Risotto mixes, Couscous, Legumes",
       (40, 64), (250, 600), (0.6, 5.0), (250, 500, 1000), False),
    _c("GLUTEN FREE", 16, 15,
       "Pasta, Cookies, Bread, Flour, Crackers, Rice cakes",
       (30, 52), (120, 400), (1.5, 7.0), (100, 500)),
    _c("BREAD AND BREADSTICKS", 17, 32,
       "Sliced bread, Breadsticks, Crackers, Taralli, Flatbread, Toast bread, Burger buns, Rice cakes, "
       "Croutons",
       (30, 52), (150, 450), (0.7, 4.0), (100, 600)),
    _c("HOT BEVERAGES", 18, 37,
       "Ground coffee, Coffee beans, Coffee capsules, Instant coffee, Decaf coffee, Black tea, Green "
       "tea, Herbal tea, Chamomile, Barley drink, Hot chocolate",
       (24, 44), (150, 450), (1.0, 12.0), (20, 250, 500, 1000), False),
    _c("SAUCES", 19, 16,
       "Mayonnaise, Ketchup, Mustard, Barbecue sauce, Soy sauce",
       (28, 50), (150, 400), (0.9, 4.5), (150, 600)),
    _c("PASTA SAUCES", 20, 18,
       "Tomato sauce, Pesto, Ready sauces",
       (28, 46), (150, 400), (1.0, 5.0), (130, 700)),
    _c("SPICES", 21, 10,
       "Salt, Pepper, Spice mixes",
       (30, 52), (120, 350), (0.5, 4.5), (14, 1000)),
    _c("VINEGAR AND OIL", 22, 18,
       "Extra virgin olive oil, Olive oil, Sunflower oil, Seed oil, Balsamic vinegar, Wine vinegar, "
       "Apple vinegar, Peanut oil, Flavoured oil",
       (18, 34), (120, 400), (1.2, 15.0), (250, 500, 750, 1000), False),
    _c("SAVORY SNACKS", 23, 15,
       "Potato chips, Popcorn, Salted nuts",
       (30, 50), (150, 400), (0.9, 4.0), (40, 300)),
    _c("PET PRODUCTS", 24, 33,
       "Dry dog food, Wet dog food, Dry cat food, Wet cat food, Cat litter, Pet snacks, Bird food",
       (25, 46), (120, 400), (0.6, 25.0), (85, 5000)),
    _c("CANNED GOODS", 25, 59,
       "Canned tuna, Canned mackerel, Canned sardines, Canned salmon, Canned meat, Canned beans, Canned "
       "chickpeas, Canned lentils, Canned peas, Canned corn, Canned tomatoes, Tomato puree, Tomato "
       "paste, Pickles, Olives, Capers, Artichokes in oil, Mushrooms in oil, Canned soups",
       (30, 54), (150, 450), (0.6, 6.0), (80, 800)),
    _c("REFRIGERATED", 26, 49,
       "Fresh milk, Yogurt, Butter, Fresh cheese, Aged cheese, Cured meats, Fresh pasta, Eggs",
       (20, 42), None, (0.8, 12.0), (100, 1000)),
    _c("FROZEN", 27, 31,
       "Frozen vegetables, Frozen pizza, Ice cream, Frozen fish, Frozen ready meals, Frozen fries",
       (18, 36), None, (1.5, 10.0), (250, 1500)),
    _c("MEAT", 28, 34,
       "Beef, Pork, Chicken, Turkey, Sausages",
       (8, 20), None, (3.0, 25.0), (200, 1500)),
    _c("FISH", 29, 10,
       "Fresh fish, Shellfish, Smoked fish",
       (8, 18), None, (4.0, 30.0), (100, 1000)),
)
# fmt: on


def sku_counts(category: Category, scale: float = 1.0) -> list[int]:
    """SKUs per subcategory: the category total (times `scale`) spread evenly, at least one each."""
    total = max(len(category.subcategories), round(category.skus * scale))
    base, extra = divmod(total, len(category.subcategories))
    return [base + (1 if i < extra else 0) for i in range(len(category.subcategories))]


def shelf_prefix(text: str) -> str:
    """First three letters with spaces and hyphens removed: 'LONG-LIFE DAIRY' -> 'LON'."""
    return text.replace(" ", "").replace("-", "")[:3].upper()
