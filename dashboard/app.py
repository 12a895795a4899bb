"""Smart Shelf's dashboard: `streamlit run dashboard/app.py` (or `python -m dashboard`)."""

import streamlit as st

st.set_page_config(page_title="Smart Shelf", page_icon=":material/shelves:", layout="wide")
st.navigation(
    [
        st.Page("views/store.py", title="Store", icon=":material/storefront:", default=True),
        st.Page("views/shelves.py", title="Shelves", icon=":material/shelves:"),
        st.Page("views/warehouse.py", title="Warehouse and suppliers", icon=":material/warehouse:"),
        st.Page("views/alerts.py", title="Alerts", icon=":material/notifications:"),
        st.Page("views/sales.py", title="Sales and traffic", icon=":material/point_of_sale:"),
        st.Page("views/forecasts.py", title="Forecasts", icon=":material/query_stats:"),
        st.Page("views/pipeline.py", title="Pipeline", icon=":material/account_tree:"),
    ]
).run()
